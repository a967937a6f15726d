"""Consumed protobuf events as the plain facts the rules read (domain/events.py), and as the
CloudEvents JSON document webhook subscribers receive: the one place notification reads the
event wire format."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.clock import as_utc
from gridplus.kit.events import Event
from gridplus.notification.domain import events

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
        document=webhook_document(event),
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
    )
}
FACT_TYPES: frozenset[str] = frozenset(_FACTS)
