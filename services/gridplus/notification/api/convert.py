"""Domain and storage values to proto messages and back."""

from __future__ import annotations

from datetime import datetime

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.notification.domain.delivery import DeliveryStatus
from gridplus.notification.domain.inbox import InboxEntry
from gridplus.notification.domain.notices import Channel
from gridplus.notification.storage.inbox_items import utc
from gridplus.notification.storage.models import Delivery, WebhookSubscription

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


def fill_subscription(message: pb.WebhookSubscription, row: WebhookSubscription) -> None:
    message.id = str(row.id)
    message.url = row.url
    message.event_types.extend(row.event_types.split())
    message.owner_id = row.owner_id
    message.created_at.FromDatetime(utc(row.created_at))


def fill_delivery(message: pb.Delivery, row: Delivery) -> None:
    status = DeliveryStatus(row.status)
    message.id = str(row.id)
    message.event_id = row.source_event_id
    message.event_type = row.event_type
    message.recipient_id = row.recipient_id
    message.channel = CHANNELS[Channel(row.channel)]
    message.status = STATUSES[status]
    message.attempts = row.attempts
    message.last_error = row.last_error or ""
    message.petition_id = row.petition_id or ""
    message.created_at.FromDatetime(utc(row.created_at))
    if status == DeliveryStatus.PENDING:
        message.next_attempt_at.FromDatetime(utc(row.next_attempt_at))
    if row.sent_at is not None:
        message.sent_at.FromDatetime(_aware(row.sent_at))


def _aware(instant: datetime) -> datetime:
    return utc(instant)
