"""Domain values to proto messages and back, and inbox page tokens (kit page_tokens): the one
place notification's API spells its values."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.page_tokens import read_page_token, write_page_token
from gridplus.notification.domain.delivery import DeliveryRecord, DeliveryStatus
from gridplus.notification.domain.inbox import Cursor, InboxEntry
from gridplus.notification.domain.notices import Channel
from gridplus.notification.domain.webhooks import Subscription

CHANNELS = {
    Channel.INBOX: pb.CHANNEL_INBOX,
    Channel.EMAIL: pb.CHANNEL_EMAIL,
    Channel.WEBHOOK: pb.CHANNEL_WEBHOOK,
    Channel.SMS: pb.CHANNEL_SMS,
}
STATUSES = {
    DeliveryStatus.PENDING: pb.DELIVERY_STATUS_PENDING,
    DeliveryStatus.SENT: pb.DELIVERY_STATUS_SENT,
    DeliveryStatus.FAILED: pb.DELIVERY_STATUS_FAILED,
}
STATUS_OF = {value: status for status, value in STATUSES.items()}


def fill_item(item: pb.InboxItem, entry: InboxEntry) -> None:
    item.id = str(entry.id)
    item.recipient_id = entry.recipient_id
    item.event_type = entry.event_type
    item.petition_id = entry.petition_id
    item.title = entry.title
    item.body = entry.body
    item.created_at.FromDatetime(entry.created_at)
    item.read = entry.read


def fill_subscription(message: pb.WebhookSubscription, subscription: Subscription) -> None:
    message.id = str(subscription.id)
    message.url = subscription.url
    message.event_types.extend(subscription.event_types)
    message.owner_id = subscription.owner_id
    message.created_at.FromDatetime(subscription.created_at)


def fill_delivery(message: pb.Delivery, record: DeliveryRecord) -> None:
    message.id = str(record.id)
    message.event_id = record.event_id
    message.event_type = record.event_type
    message.recipient_id = record.recipient_id
    message.channel = CHANNELS[record.channel]
    message.status = STATUSES[record.status]
    message.attempts = record.attempts
    message.last_error = record.last_error
    message.petition_id = record.petition_id
    message.created_at.FromDatetime(record.created_at)
    if record.status == DeliveryStatus.PENDING:
        message.next_attempt_at.FromDatetime(record.next_attempt_at)
    if record.sent_at is not None:
        message.sent_at.FromDatetime(record.sent_at)


def page_token(cursor: Cursor | None, filters: Sequence[Any]) -> str:
    """The next_page_token of an inbox page ('' on the last page)."""
    if cursor is None:
        return ""
    return write_page_token({"t": cursor.created_at.isoformat(), "i": str(cursor.id)}, filters)


def cursor_of(token: str, filters: Sequence[Any]) -> Cursor | None:
    """The position a ListInbox page token holds; INVALID_ARGUMENT on page_token when it is not
    one this API returned for the same query."""
    if not token:
        return None
    position = read_page_token(token, filters)
    try:
        created_at = datetime.fromisoformat(position["t"])
        item_id = uuid.UUID(position["i"])
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument.single("page_token", "not a token this API returned") from None
    if created_at.tzinfo is None:
        raise InvalidArgument.single("page_token", "not a token this API returned")
    return Cursor(created_at, item_id)
