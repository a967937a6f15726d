"""Run the notification service:
python -m gridplus.notification [serve|migrate|reseal-addresses]."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.egress import EgressGuard
from gridplus.kit.lease import Lease, new_holder_id
from gridplus.kit.pii import KeyRing
from gridplus.kit.service import ServiceApp
from gridplus.notification.api.grpc import POLICY, SERVICE_NAME, NotificationServicer
from gridplus.notification.channels.base import ChannelAdapter
from gridplus.notification.channels.email import SmtpEmail
from gridplus.notification.channels.sms import HttpSmsGateway
from gridplus.notification.channels.webhook import SignedWebhook
from gridplus.notification.cli import reseal_addresses
from gridplus.notification.clients import GrpcDirectory
from gridplus.notification.config import NotificationSettings, check_endpoints
from gridplus.notification.domain.notices import Channel
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.bulletins import Bulletins
from gridplus.notification.handlers.deliveries import Deliveries
from gridplus.notification.handlers.grid_cache import CachedDirectory
from gridplus.notification.handlers.inbox import Inbox
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.handlers.reporters_ahead import ReportersAhead
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.handlers.subscriptions import Subscriptions
from gridplus.notification.jobs.delivery_worker import DeliveryWorker, WorkerSettings
from gridplus.notification.messaging.consumers import EVENT_TYPES, TOPICS, handlers

log = logging.getLogger(__name__)


def main() -> None:
    app = ServiceApp(
        "notification",
        area="notification",
        migrations=Path(__file__).parent / "storage" / "alembic",
    )
    settings = NotificationSettings.from_env(app.env)
    egress = EgressGuard.from_env(app.env)  # every outgoing connection goes through it
    keys = KeyRing.from_env(app.env, app.settings.var_dir)  # the same keys as petition's
    inbox_signal, delivery_signal = Signal(), Signal()
    directory = CachedDirectory(
        GrpcDirectory(app.channel("grid_registry"), app.channel("petition")),
        confirm_seconds=settings.grid_confirm_seconds,
    )
    reporters = ReportersAhead(directory)
    policy = ChannelPolicy(
        email=settings.smtp is not None,
        sms=settings.sms is not None,
        sms_kinds=settings.sms_kinds,
        disabled_kinds=settings.disabled_kinds,
    )
    notifier = Notifier(
        reporters,
        policy,
        app.clock,
        keys=keys,
        inbox_signal=inbox_signal,
        delivery_signal=delivery_signal,
    )
    servicer = NotificationServicer(
        app.clock,
        inbox=Inbox(app.sessions, app.clock),
        subscriptions=Subscriptions(
            app.sessions, app.clock, egress=egress, event_types=EVENT_TYPES
        ),
        deliveries=Deliveries(app.sessions),
        bulletins=Bulletins(app.sessions, directory, notifier, app.clock),
        inbox_signal=inbox_signal,
    )
    app.grpc_api(
        lambda server: notification_pb2_grpc.add_NotificationServiceServicer_to_server(
            servicer, server
        ),
        SERVICE_NAME,
        POLICY,
    )
    app.consume(TOPICS, handlers(notifier, grid_events=directory, reporters_ahead=reporters))
    worker_settings = WorkerSettings(
        retry=settings.retry,
        breaker_threshold=settings.breaker_threshold,
        breaker_rest=settings.breaker_rest,
        rate_per_second=settings.rate_per_second,
        concurrency=settings.concurrency,
        poll_seconds=settings.poll_seconds,
    )
    # The pending-deliveries gauge counts the whole database: one replica exports it.
    backlog_lease = Lease(
        app.sessions,
        "notification-backlog",
        new_holder_id("notification"),
        max(timedelta(seconds=30), 3 * worker_settings.backlog_every),
        app.clock,
    )
    worker = DeliveryWorker(
        app.sessions,
        adapters(settings, app, egress),
        app.clock,
        worker_settings,
        keys=keys,
        wake=delivery_signal,
        backlog_lease=backlog_lease,
    )
    app.add_loop("delivery-worker", worker.run)
    app.command("reseal-addresses", lambda: reseal_addresses(app.sessions, keys))
    app.command("serve", lambda: _serve(app, settings, egress))
    app.main()


def _serve(app: ServiceApp, settings: NotificationSettings, egress: EgressGuard) -> None:
    # A mail relay or SMS gateway the guard refuses would fail every delivery: say so at start.
    check_endpoints(settings, egress)
    app.serve()


def adapters(
    settings: NotificationSettings, app: ServiceApp, egress: EgressGuard
) -> dict[Channel, ChannelAdapter]:
    found: dict[Channel, ChannelAdapter] = {
        Channel.WEBHOOK: SignedWebhook(app.clock, settings.http_timeout_seconds, egress=egress)
    }
    if settings.smtp is not None:
        found[Channel.EMAIL] = SmtpEmail(settings.smtp, egress=egress)
    if settings.sms is not None:
        found[Channel.SMS] = HttpSmsGateway(
            settings.sms.gateway_url,
            settings.sms.token,
            settings.http_timeout_seconds,
            egress=egress,
        )
    return found


if __name__ == "__main__":
    main()
