"""Domain values to proto messages and back, and inbox page tokens (kit page_tokens): the one
place notification's API spells its values.

Events read from the broker become the plain facts the rules read (domain/events.py) and the
CloudEvents JSON document webhook subscribers receive, here too: the one place notification
reads a wire format.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from gridplus.api.events.v1 import events_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.clock import as_utc
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.events import Event
from gridplus.kit.page_tokens import read_page_token, write_page_token
from gridplus.notification.domain import events
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


def watch_cursor(recipient_id: str, number: int) -> str:
    """A WatchInbox cursor: a place in the item numbering, for this recipient's inbox only."""
    return write_page_token({"n": number}, ["watch", recipient_id])


def watch_after(cursor: str, recipient_id: str) -> int | None:
    """The item number a WatchInbox cursor holds (None when empty: from now on);
    INVALID_ARGUMENT on cursor when it is not one this API returned for this inbox."""
    if not cursor:
        return None
    position = read_page_token(cursor, ["watch", recipient_id], field="cursor")
    number = position.get("n")
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise InvalidArgument.single("cursor", "not a cursor this API returned")
    return number


# -- events on the broker ----------------------------------------------------------------------

_STATUS_PREFIX = "PETITION_STATUS_"


def received(event: Event) -> events.Received:
    """The event as notification handles it: its envelope, its fact and its webhook body."""
    payload = event.payload
    convert = _FACTS.get(payload.DESCRIPTOR.full_name)
    return events.Received(
        event_id=event.id,
        event_type=event.type,
        time=as_utc(event.time),
        petition_id=str(getattr(payload, "petition_id", "") or ""),
        fact=convert(payload) if convert is not None else None,
        document=partial(webhook_document, event),  # written for a subscriber only
    )


def webhook_document(event: Event) -> str:
    """The POSTed JSON: CloudEvents structured mode (specversion 1.0), data as proto JSON."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event.id,
            "type": event.type,
            "source": event.source,
            "time": as_utc(event.time).isoformat(),
            "datacontenttype": "application/json",
            "data": MessageToDict(event.payload, preserving_proto_field_name=True),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _instant(payload: Message, field_name: str) -> datetime | None:
    if not payload.HasField(field_name):
        return None
    value: datetime = getattr(payload, field_name).ToDatetime(tzinfo=UTC)
    return value


def _status(value: int) -> str:
    try:
        name: str = petition_pb2.PetitionStatus.Name(value)  # type: ignore[arg-type]
    except ValueError:
        return ""
    return name.removeprefix(_STATUS_PREFIX).lower()


def _assigned(p: events_pb2.PetitionAssigned) -> events.PetitionAssigned:
    return events.PetitionAssigned(
        p.petition_id, p.grid.code, p.assignee_id, _instant(p, "deadline")
    )


def _status_changed(p: events_pb2.PetitionStatusChanged) -> events.PetitionStatusChanged:
    return events.PetitionStatusChanged(p.petition_id, _status(p.to_status))


def _merged(p: events_pb2.PetitionMerged) -> events.PetitionMerged:
    return events.PetitionMerged(p.petition_id, p.survivor_id)


def _overdue(p: events_pb2.PetitionOverdue) -> events.PetitionOverdue:
    return events.PetitionOverdue(
        p.petition_id, p.grid.code, p.assignee_id, p.department_code, _instant(p, "deadline")
    )


def _escalated(p: events_pb2.PetitionEscalated) -> events.PetitionEscalated:
    return events.PetitionEscalated(p.petition_id, p.grid.code, p.rung, tuple(p.person_ids))


def _transferred(p: events_pb2.AssignmentTransferred) -> events.AssignmentTransferred:
    return events.AssignmentTransferred(p.petition_id, p.to_assignee_id)


def _refused(p: events_pb2.AssignmentRefused) -> events.AssignmentRefused:
    return events.AssignmentRefused(
        p.petition_id, p.department_code, p.refusal_count, p.arbitrator_id
    )


def _whistle(p: events_pb2.WhistleBlown) -> events.WhistleBlown:
    return events.WhistleBlown(
        p.petition_id, p.grid.code, tuple(p.department_codes), _instant(p, "report_deadline")
    )


def _report_overdue(p: events_pb2.WhistleReportOverdue) -> events.WhistleReportOverdue:
    return events.WhistleReportOverdue(p.petition_id, p.department_code, _instant(p, "deadline"))


def _care_overdue(p: events_pb2.CareVisitOverdue) -> events.CareVisitOverdue:
    return events.CareVisitOverdue(
        p.member_id,
        p.household_id,
        p.grid_code,
        tuple(p.care_groups),
        _instant(p, "due_at"),
        _instant(p, "last_visited_at"),
    )


def _digest(p: events_pb2.GridDigestReady) -> events.GridDigestReady:
    return events.GridDigestReady(
        grid_code=p.grid_code,
        period_start=_instant(p, "period_start"),
        period_end=_instant(p, "period_end"),
        petitions_submitted=p.petitions_submitted,
        petitions_closed=p.petitions_closed,
        top_categories=tuple(
            events.DigestCategory(c.category, c.count, c.previous_count, c.rising)
            for c in p.top_categories
        ),
        repeat_locations=p.repeat_locations,
        visit_coverage=p.visit_coverage,
        care_visits_on_time=p.care_visits_on_time,
        care_visits_overdue=p.care_visits_overdue,
    )


# Event type (the payload's full name, its ce_type) -> the fact the rules read.
_FACTS: dict[str, Callable[[Any], events.Fact]] = {
    message.DESCRIPTOR.full_name: convert
    for message, convert in (
        (events_pb2.PetitionAssigned, _assigned),
        (events_pb2.PetitionStatusChanged, _status_changed),
        (events_pb2.PetitionMerged, _merged),
        (events_pb2.PetitionOverdue, _overdue),
        (events_pb2.PetitionEscalated, _escalated),
        (events_pb2.AssignmentTransferred, _transferred),
        (events_pb2.AssignmentRefused, _refused),
        (events_pb2.WhistleBlown, _whistle),
        (events_pb2.WhistleReportOverdue, _report_overdue),
        (events_pb2.CareVisitOverdue, _care_overdue),
        (events_pb2.GridDigestReady, _digest),
    )
}
FACT_TYPES: frozenset[str] = frozenset(_FACTS)
