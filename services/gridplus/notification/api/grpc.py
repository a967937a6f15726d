"""NotificationService: proto in, use case, proto out."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import grpc

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.auth import ALL_ROLES, Role, current_principal
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.egress import EgressGuard, EgressRefused, HostUnresolved
from gridplus.kit.errors import (
    FieldViolation,
    GridPlusError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.text import offending_character
from gridplus.notification.api import convert
from gridplus.notification.domain import inbox
from gridplus.notification.handlers import inbox as inbox_handlers
from gridplus.notification.handlers.bulletins import Bulletins, BulletinText
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.messaging.consumers import EVENT_TYPES
from gridplus.notification.storage import deliveries, inbox_items

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NotificationService"].full_name

OPERATORS = frozenset({Role.ADMIN, Role.SERVICE})
# Everyone has an inbox; whose inbox a caller may touch is checked per call (_own_inbox).
# Webhooks receive every event of a type, beyond any one department's scope: operators register
# them. Delivery status: a person their own, operators any (checked per call).
POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        "ListInbox": ALL_ROLES,
        "MarkRead": ALL_ROLES,
        "CountUnread": ALL_ROLES,
        "WatchInbox": ALL_ROLES,
        "CreateWebhookSubscription": OPERATORS,
        "ListWebhookSubscriptions": OPERATORS,
        "DeleteWebhookSubscription": OPERATORS,
        "ListDeliveries": ALL_ROLES,
        "SendBulletin": frozenset({Role.ADMIN, Role.GRID_CHIEF}),
        "GetBulletinProgress": frozenset({Role.ADMIN, Role.GRID_CHIEF, Role.SERVICE}),
    },
)

MAX_URL = 2000
DEFAULT_DELIVERIES = 50
MAX_DELIVERIES = 500
WATCH_BATCH = 100


@dataclass(frozen=True)
class WatchSettings:
    poll_seconds: float = 2.0  # items stored by another replica arrive within this
    # Each open stream holds one of the server's worker threads: keep most for unary calls.
    max_streams: int = 16


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        egress: EgressGuard,
        bulletins: Bulletins | None = None,
        inbox_signal: Signal | None = None,
        watch: WatchSettings | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._egress = egress
        self._bulletins = bulletins
        self._inbox_signal = inbox_signal or Signal()
        self._watch = watch or WatchSettings()
        self._streams = threading.BoundedSemaphore(self._watch.max_streams)

    # -- inbox ------------------------------------------------------------------------------

    def ListInbox(
        self, request: pb.ListInboxRequest, context: grpc.ServicerContext
    ) -> pb.ListInboxResponse:
        recipient_id = _own_inbox(request.recipient_id)
        try:
            size = inbox.page_size(request.page_size)
        except ValueError as exc:
            raise InvalidArgument.single("page_size", str(exc)) from None
        try:
            after = inbox.decode_page_token(request.page_token)
        except inbox.BadPageToken:
            raise InvalidArgument.single(
                "page_token", "not a next_page_token from an earlier ListInbox"
            ) from None
        with transaction(self._sessions) as session:
            page = inbox_handlers.list_inbox(
                session,
                recipient_id=recipient_id,
                unread_only=request.unread_only,
                page_size=size,
                after=after,
            )
        response = pb.ListInboxResponse(
            next_page_token=inbox.encode_page_token(page.next_cursor),
            unread_count=page.unread_count,
        )
        for entry in page.entries:
            convert.fill_item(response.items.add(), entry)
        return response

    def MarkRead(
        self, request: pb.MarkReadRequest, context: grpc.ServicerContext
    ) -> pb.MarkReadResponse:
        recipient_id = _own_inbox(request.recipient_id)
        item_ids = _item_ids(request.item_ids)
        with transaction(self._sessions) as session:
            unread = inbox_handlers.mark_read(
                session, recipient_id=recipient_id, item_ids=item_ids, at=self._clock.now()
            )
        return pb.MarkReadResponse(unread_count=unread)

    def CountUnread(
        self, request: pb.CountUnreadRequest, context: grpc.ServicerContext
    ) -> pb.CountUnreadResponse:
        recipient_id = _own_inbox(request.recipient_id)
        with transaction(self._sessions) as session:
            unread = inbox_items.count_unread(session, recipient_id=recipient_id)
        return pb.CountUnreadResponse(unread_count=unread)

    def WatchInbox(
        self, request: pb.WatchInboxRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchInboxResponse]:
        recipient_id = _own_inbox(request.recipient_id)
        if not self._streams.acquire(blocking=False):
            raise ResourceExhausted("too many open inbox streams; poll CountUnread instead")
        try:
            yield from self._watch_inbox(recipient_id, context)
        finally:
            self._streams.release()

    def _watch_inbox(
        self, recipient_id: str, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchInboxResponse]:
        since = self._clock.now()
        sent: dict[uuid.UUID, datetime] = {}
        version = self._inbox_signal.version
        while context.is_active():
            with transaction(self._sessions) as session:
                entries = inbox_items.stored_since(
                    session, recipient_id=recipient_id, since=since, limit=WATCH_BATCH
                )
            for entry in entries:
                if entry.id in sent:
                    continue
                sent[entry.id] = entry.stored_at or since
                response = pb.WatchInboxResponse()
                convert.fill_item(response.item, entry)
                yield response
            if entries and entries[-1].stored_at is not None:
                since = entries[-1].stored_at
                sent = {key: at for key, at in sent.items() if at >= since}
            if len(entries) < WATCH_BATCH:
                version = self._inbox_signal.wait(version, self._watch.poll_seconds)

    # -- webhooks ---------------------------------------------------------------------------

    def CreateWebhookSubscription(
        self, request: pb.CreateWebhookSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateWebhookSubscriptionResponse:
        _check_subscription(request.url, request.event_types, self._egress)
        secret = secrets.token_urlsafe(32)
        with transaction(self._sessions) as session:
            row = deliveries.create_subscription(
                session,
                owner_id=current_principal().subject,
                url=request.url,
                secret=secret,
                event_types=list(request.event_types),
                now=self._clock.now(),
            )
            response = pb.CreateWebhookSubscriptionResponse(secret=secret)
            convert.fill_subscription(response.subscription, row)
        return response

    def ListWebhookSubscriptions(
        self, request: pb.ListWebhookSubscriptionsRequest, context: grpc.ServicerContext
    ) -> pb.ListWebhookSubscriptionsResponse:
        principal = current_principal()
        owner = None if principal.role == Role.ADMIN else principal.subject
        response = pb.ListWebhookSubscriptionsResponse()
        with transaction(self._sessions) as session:
            for row in deliveries.get_subscriptions(session, owner_id=owner):
                convert.fill_subscription(response.subscriptions.add(), row)
        return response

    def DeleteWebhookSubscription(
        self, request: pb.DeleteWebhookSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.DeleteWebhookSubscriptionResponse:
        subscription_id = _uuid("id", request.id)
        principal = current_principal()
        with transaction(self._sessions) as session:
            row = deliveries.get_subscription(session, subscription_id)
            if row is None or (principal.role != Role.ADMIN and row.owner_id != principal.subject):
                raise NotFound(f"no webhook subscription {request.id}")
            deliveries.delete_subscription(session, row, now=self._clock.now())
        return pb.DeleteWebhookSubscriptionResponse()

    # -- delivery status ----------------------------------------------------------------------

    def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: grpc.ServicerContext
    ) -> pb.ListDeliveriesResponse:
        principal = current_principal()
        if not (request.event_id or request.recipient_id or request.petition_id or request.status):
            raise InvalidArgument.single(
                "recipient_id", "give event_id, recipient_id, petition_id or status"
            )
        if principal.role not in OPERATORS and request.recipient_id != principal.subject:
            raise PermissionDenied("you may list only your own deliveries")
        if request.page_size < 0:
            raise InvalidArgument.single("page_size", "must not be negative")
        limit = min(request.page_size or DEFAULT_DELIVERIES, MAX_DELIVERIES)
        response = pb.ListDeliveriesResponse()
        with transaction(self._sessions) as session:
            rows = deliveries.get_all(
                session,
                event_id=request.event_id,
                recipient_id=request.recipient_id,
                petition_id=request.petition_id,
                status=convert.STATUS_OF.get(request.status),
                limit=limit,
            )
            for row in rows:
                convert.fill_delivery(response.deliveries.add(), row)
        return response

    # -- bulletins ----------------------------------------------------------------------------

    def SendBulletin(
        self, request: pb.SendBulletinRequest, context: grpc.ServicerContext
    ) -> pb.SendBulletinResponse:
        text = BulletinText(
            grid_code=request.grid_code,
            title_zh=request.title_zh,
            body_zh=request.body_zh,
            title_en=request.title_en,
            body_en=request.body_en,
            request_id=request.request_id,
        )
        sent = self._bulletin_use_case().send(current_principal(), text)
        return pb.SendBulletinResponse(
            bulletin_id=str(sent.bulletin_id),
            recipient_count=sent.recipient_count,
            delivery_count=sent.delivery_count,
        )

    def GetBulletinProgress(
        self, request: pb.GetBulletinProgressRequest, context: grpc.ServicerContext
    ) -> pb.GetBulletinProgressResponse:
        bulletin_id = _uuid("bulletin_id", request.bulletin_id)
        progress = self._bulletin_use_case().progress(current_principal(), bulletin_id)
        return pb.GetBulletinProgressResponse(
            bulletin_id=str(progress.bulletin_id),
            grid_code=progress.grid_code,
            recipient_count=progress.recipient_count,
            total=progress.total,
            sent=progress.sent,
            pending=progress.pending,
            failed=progress.failed,
        )

    def _bulletin_use_case(self) -> Bulletins:
        if self._bulletins is None:
            raise NotImplementedError("bulletins are not wired in this server")
        return self._bulletins


class ResourceExhausted(GridPlusError):
    grpc_code = "RESOURCE_EXHAUSTED"
    http_status = 429
    title = "Too many requests"


def _own_inbox(recipient_id: str) -> str:
    """The inbox asked for, if the caller may touch it."""
    if not recipient_id:
        raise InvalidArgument.single("recipient_id", "required")
    principal = current_principal()
    if not inbox.may_read_inbox(
        subject=principal.subject, role=principal.role, recipient_id=recipient_id
    ):
        raise PermissionDenied("you may read only your own inbox")
    return recipient_id


def _item_ids(ids: Sequence[str]) -> list[uuid.UUID]:
    if len(ids) > inbox.MAX_MARK_READ:
        raise InvalidArgument.single("item_ids", f"at most {inbox.MAX_MARK_READ} per call")
    parsed: list[uuid.UUID] = []
    violations: list[FieldViolation] = []
    for index, value in enumerate(ids):
        try:
            parsed.append(uuid.UUID(value))
        except ValueError:
            violations.append(FieldViolation(f"item_ids[{index}]", "not an inbox item id"))
    if violations:
        raise InvalidArgument(violations)
    return parsed


def _uuid(field: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument.single(field, "not an id this service issued") from None


def _check_subscription(url: str, event_types: Sequence[str], egress: EgressGuard) -> None:
    violations = [FieldViolation("url", why) for why in _url_problems(url, egress)]
    if not event_types:
        violations.append(FieldViolation("event_types", "at least one event type"))
    known = set(EVENT_TYPES)
    for index, event_type in enumerate(event_types):
        if event_type not in known:
            violations.append(
                FieldViolation(f"event_types[{index}]", f"unknown event type {event_type!r}")
            )
    if violations:
        raise InvalidArgument(violations)


def _url_problems(url: str, egress: EgressGuard) -> list[str]:
    """What is wrong with a webhook URL: its form, or where it leads (resolved now; the worker
    checks again at every delivery, as the name may later resolve elsewhere)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["must be an absolute http or https URL"]
    if len(url) > MAX_URL:
        return [f"at most {MAX_URL} characters"]
    bad = offending_character(url)
    if bad is not None:
        return [f"must not contain U+{ord(bad):04X}: control or bidi characters"]
    try:
        egress.check_url(url)
    except EgressRefused as exc:
        return [str(exc)]
    except HostUnresolved as exc:
        return [f"{exc}; give a host name that resolves"]
    return []
