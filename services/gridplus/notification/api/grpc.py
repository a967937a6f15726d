"""NotificationService: proto in, use case, proto out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import grpc

from gridplus.api.notification.v1 import notification_pb2, notification_pb2_grpc
from gridplus.kit.auth import ALL_ROLES, current_principal
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FieldViolation, InvalidArgument, PermissionDenied
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.notification import handlers
from gridplus.notification.domain import inbox
from gridplus.notification.domain.inbox import InboxEntry

SERVICE_NAME = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name

# Everyone has an inbox; whose inbox a caller may touch is checked per call (_own_inbox).
POLICY: AuthPolicy = service_policy(SERVICE_NAME, {"ListInbox": ALL_ROLES, "MarkRead": ALL_ROLES})


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def ListInbox(
        self, request: notification_pb2.ListInboxRequest, context: grpc.ServicerContext
    ) -> notification_pb2.ListInboxResponse:
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
            page = handlers.list_inbox(
                session,
                recipient_id=recipient_id,
                unread_only=request.unread_only,
                page_size=size,
                after=after,
            )
        response = notification_pb2.ListInboxResponse(
            next_page_token=inbox.encode_page_token(page.next_cursor),
            unread_count=page.unread_count,
        )
        for entry in page.entries:
            _fill_item(response.items.add(), entry)
        return response

    def MarkRead(
        self, request: notification_pb2.MarkReadRequest, context: grpc.ServicerContext
    ) -> notification_pb2.MarkReadResponse:
        recipient_id = _own_inbox(request.recipient_id)
        item_ids = _item_ids(request.item_ids)
        with transaction(self._sessions) as session:
            unread = handlers.mark_read(
                session, recipient_id=recipient_id, item_ids=item_ids, at=self._clock.now()
            )
        return notification_pb2.MarkReadResponse(unread_count=unread)


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


def _fill_item(item: notification_pb2.InboxItem, entry: InboxEntry) -> None:
    item.id = str(entry.id)
    item.recipient_id = entry.recipient_id
    item.event_type = entry.event_type
    item.petition_id = entry.petition_id
    item.title = entry.title
    item.body = entry.body
    item.created_at.FromDatetime(entry.created_at)
    item.read = entry.read
