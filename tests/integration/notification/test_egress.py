"""Webhooks, the SMS gateway and the mail relay reach only public addresses, or those the
allow-list names: every spelling of an internal address is refused when a webhook is created,
a name that resolves inside by the time of a delivery is not sent to, the connection goes to the
address that was checked, and a redirect is never followed (issue 18, hole 2) — through the real
gRPC API and worker, against real receivers on loopback."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.clock import ManualClock
from gridplus.kit.egress import AllowList, EgressGuard, HostUnresolved, IPAddress, system_resolver
from gridplus.notification.api.grpc import POLICY, SERVICE_NAME
from gridplus.notification.channels.base import Outgoing, SendFailed
from gridplus.notification.channels.email import SmtpEmail, SmtpSettings
from gridplus.notification.handlers.notices import Notifier
from tests.integration.notification.conftest import (
    JWT,
    Store,
    Stub,
    WorkerFactory,
    notification_servicer,
)
from tests.integration.notification.servers import (
    HttpReceiver,
    SmsGateway,
    SmtpSink,
    WebhookReceiver,
)
from tests.integration.notification.test_delivery_guarantees import (
    ADMIN,
    ASSIGNED,
    assigned_event,
    metric,
)
from tests.integration.notification.test_personal_data import apply, overdue
from tests.support.grpc import serving
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

PARTNER = "hooks.partner.example"  # not in any real DNS: only the test's resolver knows it
PUBLIC = "93.184.215.14"


@dataclass
class Dns:
    """A resolver whose answers the test changes, as a hostile DNS server would (rebinding)."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host in self.answers:
            return [ipaddress.ip_address(a) for a in self.answers[host]]
        if host == "localhost":
            return system_resolver(host, port)
        raise HostUnresolved("the host does not resolve")


@contextmanager
def notification_api(store: Store, clock: ManualClock, egress: EgressGuard) -> Iterator[Stub]:
    servicer = notification_servicer(store, clock, egress=egress)

    def register(server: grpc.Server) -> None:
        notification_pb2_grpc.add_NotificationServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield notification_pb2_grpc.NotificationServiceStub(channel)


def create(api: Stub, url: str) -> pb.CreateWebhookSubscriptionResponse:
    request = pb.CreateWebhookSubscriptionRequest(url=url, event_types=[ASSIGNED])
    return api.CreateWebhookSubscription(request, metadata=ADMIN)


def refusal(api: Stub, url: str) -> str:
    """The url field's violation when creating a subscription to `url` is refused, else ""."""
    try:
        create(api, url)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        assert status is not None
        bad = error_details_pb2.BadRequest()
        status.details[0].Unpack(bad)
        assert [v.field for v in bad.field_violations] == ["url"]
        return str(bad.field_violations[0].description)
    return ""


def subscriptions(api: Stub) -> list[str]:
    listed = api.ListWebhookSubscriptions(pb.ListWebhookSubscriptionsRequest(), metadata=ADMIN)
    return [s.url for s in listed.subscriptions]


def deliveries_to(api: Stub, subscription_id: str) -> list[pb.Delivery]:
    request = pb.ListDeliveriesRequest(recipient_id=subscription_id)
    return list(api.ListDeliveries(request, metadata=ADMIN).deliveries)


# What the outside probe used, and its relatives: each address form -> the kind of address.
INTERNAL = {
    "http://127.0.0.1:18999/hooks": "loopback",
    "http://127.0.0.1:8080/api/v1/petitions": "loopback",  # the platform's own resident API
    "http://localhost:18999/hooks": "loopback",
    "http://LOCALHOST./hooks": "loopback",
    "http://2130706433/": "loopback",
    "http://127.1/": "loopback",
    "http://0x7f.1/": "loopback",
    "http://0177.0.0.1/": "loopback",
    "http://0x7f000001/": "loopback",
    "http://[::ffff:127.0.0.1]/": "loopback (IPv4 inside IPv6)",
    "http://[::ffff:7f00:1]/": "loopback (IPv4 inside IPv6)",
    "http://[::127.0.0.1]/": "loopback (IPv4 inside IPv6)",
    "http://[2002:7f00:1::1]/": "loopback (IPv4 inside IPv6)",
    "http://[::1]:18999/": "loopback",
    "https://10.1.2.3/": "private",
    "http://172.16.0.1/": "private",
    "http://192.168.0.10/": "private",
    "http://[fd12:3456::1]/": "private",
    "http://100.64.0.1/": "shared (carrier-grade NAT)",
    "http://169.254.169.254/latest/meta-data/": "link-local",
    "http://[fe80::1]/": "link-local",
    "http://224.0.0.1/": "multicast",
    "http://[ff02::1]/": "multicast",
    "http://0.0.0.0:18999/": "unspecified",
    "http://0/": "unspecified",
    "http://[::]/": "unspecified",
    "http://240.0.0.1/": "reserved",
    "http://[::ffff:169.254.169.254]/": "link-local (IPv4 inside IPv6)",
}


def test_every_internal_address_form_is_refused_at_subscription(
    store: Store, clock: ManualClock
) -> None:
    with notification_api(store, clock, EgressGuard()) as api:  # the default: public only
        refused = {url: refusal(api, url) for url in INTERNAL}
        assert subscriptions(api) == []  # nothing was stored
    kinds = {url: re.search(r" an? (.+) address;", why) for url, why in refused.items()}
    assert {url: kind and kind.group(1) for url, kind in kinds.items()} == INTERNAL
    assert "resolves to a loopback address" in refused["http://localhost:18999/hooks"]
    assert "GRIDPLUS_EGRESS_ALLOW" in refused["http://127.1/"]


def test_urls_that_hide_where_they_lead_are_refused(store: Store, clock: ManualClock) -> None:
    with notification_api(store, clock, EgressGuard()) as api:
        assert "user name or password" in refusal(api, f"http://{PUBLIC}@127.0.0.1/")
        assert "control or bidi" in refusal(api, "https://example.org/\u202ekoob")
        assert "spaces" in refusal(api, "https://example.org/a b")
        assert "not a valid" in refusal(api, "http://127.0.0.1.1/")
        assert "http or https" in refusal(api, "file:///etc/passwd")
        assert subscriptions(api) == []


def test_the_allow_list_opens_exactly_the_receiver_it_names(
    store: Store, clock: ManualClock
) -> None:
    receiver_port, other_port = free_port(), free_port()
    allowed = EgressGuard(AllowList.parse(f"127.0.0.1:{receiver_port}"))
    with notification_api(store, clock, allowed) as api:
        assert refusal(api, f"http://127.0.0.1:{receiver_port}/hooks/gridplus") == ""
        assert "loopback" in refusal(api, f"http://127.0.0.1:{other_port}/hooks/gridplus")
        assert "loopback" in refusal(api, "http://127.0.0.1/hooks/gridplus")
        assert "loopback" in refusal(api, f"http://[::1]:{receiver_port}/hooks/gridplus")
        assert "link-local" in refusal(api, "http://169.254.169.254/latest/meta-data/")
        assert subscriptions(api) == [f"http://127.0.0.1:{receiver_port}/hooks/gridplus"]


def test_a_name_with_any_inside_address_is_refused(store: Store, clock: ManualClock) -> None:
    dns = Dns({PARTNER: [PUBLIC, "10.0.0.7"]})
    with notification_api(store, clock, EgressGuard(resolver=dns)) as api:
        assert "resolves to a private address" in refusal(api, f"https://{PARTNER}/hooks")
        assert "does not resolve" in refusal(api, "https://nowhere.invalid/hooks")
        assert subscriptions(api) == []


def test_a_name_that_resolves_inside_by_delivery_time_gets_nothing(
    store: Store, clock: ManualClock, notifier: Notifier, make_worker: WorkerFactory
) -> None:
    receiver = HttpReceiver().start()
    dns = Dns({PARTNER: [PUBLIC]})  # public when the subscription is made ...
    guard = EgressGuard(resolver=dns)
    refused_before = metric(
        "gridplus_notification_delivery_failures_total", channel="webhook", reason="refused"
    )
    try:
        with notification_api(store, clock, guard) as api:
            created = create(api, f"http://{PARTNER}:{receiver.port}/hooks/gridplus")
            dns.answers[PARTNER] = ["127.0.0.1"]  # ... loopback when it is delivered
            apply(store, notifier, assigned_event(clock))
            make_worker(egress=guard).run_once()
            [delivery] = deliveries_to(api, created.subscription.id)
    finally:
        receiver.stop()
    assert delivery.status == pb.DELIVERY_STATUS_FAILED
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("refused: the host resolves to a loopback address")
    assert receiver.requests == []  # not a single request reached it
    assert dns.asked == [PARTNER, PARTNER]  # checked at creation and again at delivery
    failures = metric(
        "gridplus_notification_delivery_failures_total", channel="webhook", reason="refused"
    )
    assert failures == refused_before + 1


def test_the_connection_goes_to_the_address_that_was_checked(
    store: Store, clock: ManualClock, notifier: Notifier, make_worker: WorkerFactory
) -> None:
    """The partner's name exists only in the guard's resolver: had the HTTP client looked it
    up again on its own (where a rebinding DNS server could answer otherwise), it would fail."""
    receiver = WebhookReceiver(clock).start()
    dns = Dns({PARTNER: ["127.0.0.1"]})
    guard = EgressGuard(AllowList.parse(f"127.0.0.1:{receiver.port}"), resolver=dns)
    try:
        with notification_api(store, clock, guard) as api:
            created = create(api, f"http://{PARTNER}:{receiver.port}/hooks/gridplus")
            receiver.secret = created.secret
            apply(store, notifier, assigned_event(clock))
            make_worker(egress=guard).run_once()
            [delivery] = deliveries_to(api, created.subscription.id)
    finally:
        receiver.stop()
    assert delivery.status == pb.DELIVERY_STATUS_SENT, delivery.last_error
    [received] = receiver.received
    assert received.headers["host"] == f"{PARTNER}:{receiver.port}"
    assert dns.asked == [PARTNER, PARTNER]


def test_a_redirect_is_not_followed_and_the_signature_goes_nowhere_else(
    store: Store, clock: ManualClock, notifier: Notifier, make_worker: WorkerFactory
) -> None:
    redirecting, healthy = WebhookReceiver(clock).start(), WebhookReceiver(clock).start()
    redirecting.status = 302
    redirecting.location = f"http://127.0.0.1:{redirecting.port}/stolen"  # allowed, but no
    guard = EgressGuard(AllowList.parse(f"127.0.0.1:{redirecting.port},127.0.0.1:{healthy.port}"))
    try:
        with notification_api(store, clock, guard) as api:
            ids = {}
            for receiver in (redirecting, healthy):
                created = create(api, receiver.url)
                receiver.secret = created.secret
                ids[receiver.port] = created.subscription.id
            apply(store, notifier, assigned_event(clock))
            make_worker(egress=guard).run_once()
            [redirected] = deliveries_to(api, ids[redirecting.port])
            [sent] = deliveries_to(api, ids[healthy.port])
    finally:
        redirecting.stop()
        healthy.stop()
    assert redirected.status == pb.DELIVERY_STATUS_FAILED
    assert redirected.attempts == 1
    assert redirected.last_error.startswith("refused: HTTP 302: redirects are not followed")
    assert redirecting.requests == ["POST /hooks/gridplus"]  # /stolen was never asked
    assert len(redirecting.received) == 1
    assert sent.status == pb.DELIVERY_STATUS_SENT  # an allowed receiver is served as before
    assert len(healthy.received) == 1


def test_the_sms_gateway_and_mail_relay_are_held_to_the_same_rule(
    store: Store,
    clock: ManualClock,
    notifier: Notifier,
    smtp: SmtpSink,
    sms_gateway: SmsGateway,
    make_worker: WorkerFactory,
) -> None:
    """Both run on loopback here; without an allow-list entry nothing reaches them."""
    event = overdue(clock)
    apply(store, notifier, event)
    worker = make_worker(egress=EgressGuard())
    while worker.run_once():
        pass
    with notification_api(store, clock, EgressGuard()) as api:
        listed = api.ListDeliveries(pb.ListDeliveriesRequest(event_id=event.id), metadata=ADMIN)
    sent = [d for d in listed.deliveries if d.channel in (pb.CHANNEL_EMAIL, pb.CHANNEL_SMS)]
    assert {d.channel for d in sent} == {pb.CHANNEL_EMAIL, pb.CHANNEL_SMS}
    for delivery in sent:
        assert delivery.status == pb.DELIVERY_STATUS_FAILED
        assert delivery.last_error.startswith("refused: the host is a loopback address")
    assert smtp.messages == [] and sms_gateway.requests == []


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_every_smtp_mode_connects_through_the_guard(security: str, smtp: SmtpSink) -> None:
    settings = SmtpSettings("localhost", smtp.port, "Grid+ <noreply@gridplus.test>", security)
    email = SmtpEmail(settings, egress=EgressGuard())
    message = Outgoing("d-1", "worker7@gov.example", "title", "body", ASSIGNED)
    with pytest.raises(SendFailed) as failed:
        email.send(message)
    assert failed.value.permanent
    assert failed.value.reason.startswith("the host resolves to a loopback address")
    assert smtp.messages == []
