"""NotificationService: proto in, use case, proto out."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import grpc

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.auth import current_principal
from gridplus.kit.clock import Clock
from gridplus.kit.errors import FieldViolation, GridPlusError, InvalidArgument, PermissionDenied
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.roles import ALL_ROLES, Role
from gridplus.notification.api import convert
from gridplus.notification.domain import inbox
from gridplus.notification.domain.bulletins import BulletinText
from gridplus.notification.handlers.bulletins import Bulletins
from gridplus.notification.handlers.deliveries import OPERATORS, Deliveries
from gridplus.notification.handlers.inbox import Inbox
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.handlers.subscriptions import Subscriptions

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NotificationService"].full_name

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
        "ListBulletins": frozenset({Role.ADMIN, Role.GRID_CHIEF, Role.SERVICE}),
    },
)

WATCH_BATCH = 100
# Initial metadata of a WatchInbox stream: the cursor it starts after (the stream is established).
WATCH_CURSOR_HEADER = "gridplus-watch-cursor"


@dataclass(frozen=True)
class WatchSettings:
    poll_seconds: float = 2.0  # items stored by another replica arrive within this
    # How long a missing item number holds a stream back before it counts as rolled back.
    gap_grace: timedelta = timedelta(seconds=10)
    # Each open stream holds one of the server's worker threads: keep most for unary calls.
    max_streams: int = 16


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(
        self,
        clock: Clock,
        *,
        inbox: Inbox,
        subscriptions: Subscriptions,
        deliveries: Deliveries,
        bulletins: Bulletins,
        inbox_signal: Signal | None = None,
        watch: WatchSettings | None = None,
    ) -> None:
        self._clock = clock
        self._inbox = inbox
        self._subscriptions = subscriptions
        self._deliveries = deliveries
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
        filters = [recipient_id, request.unread_only]
        page = self._inbox.page(
            recipient_id=recipient_id,
            unread_only=request.unread_only,
            page_size=size,
            after=convert.cursor_of(request.page_token, filters),
        )
        response = pb.ListInboxResponse(
            next_page_token=convert.page_token(page.next_cursor, filters),
            unread_count=page.unread_count,
        )
        for entry in page.entries:
            convert.fill_item(response.items.add(), entry)
        return response

    def MarkRead(
        self, request: pb.MarkReadRequest, context: grpc.ServicerContext
    ) -> pb.MarkReadResponse:
        recipient_id = _own_inbox(request.recipient_id)
        unread = self._inbox.mark_read(
            caller=current_principal().subject,
            recipient_id=recipient_id,
            item_ids=_item_ids(request.item_ids),
            request_id=request.request_id,
        )
        return pb.MarkReadResponse(unread_count=unread)

    def CountUnread(
        self, request: pb.CountUnreadRequest, context: grpc.ServicerContext
    ) -> pb.CountUnreadResponse:
        recipient_id = _own_inbox(request.recipient_id)
        return pb.CountUnreadResponse(unread_count=self._inbox.unread(recipient_id))

    def WatchInbox(
        self, request: pb.WatchInboxRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchInboxResponse]:
        recipient_id = _own_inbox(request.recipient_id)
        if not self._streams.acquire(blocking=False):
            raise ResourceExhausted("too many open inbox streams; poll CountUnread instead")
        try:
            yield from self._watch_inbox(recipient_id, request.cursor, context)
        finally:
            self._streams.release()

    def _watch_inbox(
        self, recipient_id: str, cursor: str, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchInboxResponse]:
        version = self._inbox_signal.version
        feed = self._inbox.feed(
            recipient_id=recipient_id,
            after=convert.watch_after(cursor, recipient_id),
            batch=WATCH_BATCH,
            gap_grace=self._watch.gap_grace,
        )
        context.send_initial_metadata(
            ((WATCH_CURSOR_HEADER, convert.watch_cursor(recipient_id, feed.position)),)
        )
        while context.is_active():
            entries = feed.read()
            for entry in entries:
                number = entry.seq if entry.seq is not None else feed.position
                response = pb.WatchInboxResponse(cursor=convert.watch_cursor(recipient_id, number))
                convert.fill_item(response.item, entry)
                yield response
            if len(entries) < WATCH_BATCH:
                version = self._inbox_signal.wait(version, self._watch.poll_seconds)

    # -- webhooks ---------------------------------------------------------------------------

    def CreateWebhookSubscription(
        self, request: pb.CreateWebhookSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateWebhookSubscriptionResponse:
        created = self._subscriptions.create(
            current_principal(),
            url=request.url,
            event_types=list(request.event_types),
            request_id=request.request_id,
        )
        response = pb.CreateWebhookSubscriptionResponse(secret=created.secret)
        convert.fill_subscription(response.subscription, created.subscription)
        return response

    def ListWebhookSubscriptions(
        self, request: pb.ListWebhookSubscriptionsRequest, context: grpc.ServicerContext
    ) -> pb.ListWebhookSubscriptionsResponse:
        response = pb.ListWebhookSubscriptionsResponse()
        for subscription in self._subscriptions.visible_to(current_principal()):
            convert.fill_subscription(response.subscriptions.add(), subscription)
        return response

    def DeleteWebhookSubscription(
        self, request: pb.DeleteWebhookSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.DeleteWebhookSubscriptionResponse:
        self._subscriptions.delete(
            current_principal(), _uuid("id", request.id), request_id=request.request_id
        )
        return pb.DeleteWebhookSubscriptionResponse()

    # -- delivery status ----------------------------------------------------------------------

    def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: grpc.ServicerContext
    ) -> pb.ListDeliveriesResponse:
        found = self._deliveries.find(
            current_principal(),
            event_id=request.event_id,
            recipient_id=request.recipient_id,
            petition_id=request.petition_id,
            status=convert.STATUS_OF.get(request.status),
            page_size=request.page_size,
        )
        response = pb.ListDeliveriesResponse()
        for record in found:
            convert.fill_delivery(response.deliveries.add(), record)
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
        sent = self._bulletins.send(current_principal(), text)
        return pb.SendBulletinResponse(
            bulletin_id=str(sent.bulletin_id),
            recipient_count=sent.recipient_count,
            delivery_count=sent.delivery_count,
        )

    def GetBulletinProgress(
        self, request: pb.GetBulletinProgressRequest, context: grpc.ServicerContext
    ) -> pb.GetBulletinProgressResponse:
        bulletin_id = _uuid("bulletin_id", request.bulletin_id)
        progress = self._bulletins.progress(current_principal(), bulletin_id)
        return pb.GetBulletinProgressResponse(
            bulletin_id=str(progress.bulletin_id),
            grid_code=progress.grid_code,
            recipient_count=progress.recipient_count,
            total=progress.total,
            sent=progress.sent,
            pending=progress.pending,
            failed=progress.failed,
        )

    def ListBulletins(
        self, request: pb.ListBulletinsRequest, context: grpc.ServicerContext
    ) -> pb.ListBulletinsResponse:
        listed = self._bulletins.list_newest(current_principal(), page_size=request.page_size)
        response = pb.ListBulletinsResponse()
        for item in listed:
            summary = response.bulletins.add(
                bulletin_id=str(item.bulletin.id),
                grid_code=item.bulletin.grid_code,
                sent_by=item.bulletin.sent_by,
                recipient_count=item.progress.recipient_count,
                total=item.progress.total,
                sent=item.progress.sent,
                pending=item.progress.pending,
                failed=item.progress.failed,
            )
            summary.sent_at.FromDatetime(item.sent_at)
        return response


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
