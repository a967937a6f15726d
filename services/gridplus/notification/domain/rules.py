"""Which notices an event causes, and for whom.

RULES maps an event type (the payload's full protobuf name, which is its CloudEvents ce_type) to
a rule: a function of the payload that returns intents — a notice kind, the audiences to tell,
and the template values. Rules are pure: people are looked up afterwards (resolution.py) and the
text is rendered per recipient language (`notices`). To notify on another event, write its rule
and add one line to RULES; messaging/consumers.py subscribes to every area listed there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from google.protobuf.message import Message

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.notification.domain.audience import (
    Audience,
    DepartmentPeople,
    GridChiefs,
    Person,
    Reporters,
)
from gridplus.notification.domain.notices import Channel, Notice, NoticeKind, Recipient
from gridplus.notification.domain.templates import render


@dataclass(frozen=True)
class Intent:
    """Tell `audiences` about one fact, as notice `kind` filled with `values`."""

    kind: NoticeKind
    audiences: tuple[Audience, ...]
    petition_id: str
    values: Mapping[str, str] = field(default_factory=dict)


Rule = Callable[[Any], list[Intent]]


def petition_assigned(payload: events_pb2.PetitionAssigned) -> list[Intent]:
    grid = payload.grid.code
    values = {"grid_code": grid or "?", "deadline": _when(payload, "deadline")}
    values["petition_id"] = payload.petition_id
    intents = [
        Intent(
            NoticeKind.PETITION_ROUTED,
            (Reporters(payload.petition_id),),
            payload.petition_id,
            values,
        )
    ]
    if payload.assignee_id:
        assignee = Person(payload.assignee_id, grid)
        intents.insert(
            0, Intent(NoticeKind.PETITION_ASSIGNED, (assignee,), payload.petition_id, values)
        )
    return intents


_STATUS_KINDS = {
    petition_pb2.PETITION_STATUS_RESOLVED: NoticeKind.PETITION_RESOLVED,
    petition_pb2.PETITION_STATUS_CLOSED: NoticeKind.PETITION_CLOSED,
    petition_pb2.PETITION_STATUS_REJECTED: NoticeKind.PETITION_REJECTED,
}


def petition_status_changed(payload: events_pb2.PetitionStatusChanged) -> list[Intent]:
    kind = _STATUS_KINDS.get(payload.to_status)
    if kind is None:
        return []
    values = {"petition_id": payload.petition_id}
    return [Intent(kind, (Reporters(payload.petition_id),), payload.petition_id, values)]


def petition_merged(payload: events_pb2.PetitionMerged) -> list[Intent]:
    # The duplicate's reporters now follow the survivor: ask petition for those of the survivor
    # who came through a duplicate.
    values = {"petition_id": payload.petition_id, "survivor_id": payload.survivor_id}
    audience = Reporters(payload.survivor_id, via_duplicate_only=True)
    return [Intent(NoticeKind.PETITION_MERGED, (audience,), payload.petition_id, values)]


def petition_overdue(payload: events_pb2.PetitionOverdue) -> list[Intent]:
    grid = payload.grid.code
    audiences: list[Audience] = [GridChiefs(grid)] if grid else []
    if payload.assignee_id:
        audiences.insert(0, Person(payload.assignee_id, grid))
    if payload.department_code:
        audiences.append(DepartmentPeople(payload.department_code, grid))
    values = {
        "petition_id": payload.petition_id,
        "grid_code": grid or "?",
        "deadline": _when(payload, "deadline"),
    }
    return [Intent(NoticeKind.PETITION_OVERDUE, tuple(audiences), payload.petition_id, values)]


def petition_escalated(payload: events_pb2.PetitionEscalated) -> list[Intent]:
    grid = payload.grid.code
    values = {
        "petition_id": payload.petition_id,
        "grid_code": grid or "?",
        "rung": str(payload.rung),
    }
    audiences = tuple(Person(person_id, grid) for person_id in payload.person_ids)
    return [Intent(NoticeKind.PETITION_ESCALATED, audiences, payload.petition_id, values)]


def assignment_transferred(payload: events_pb2.AssignmentTransferred) -> list[Intent]:
    if not payload.to_assignee_id:
        return []
    values = {"petition_id": payload.petition_id}
    audience = (Person(payload.to_assignee_id),)
    return [Intent(NoticeKind.ASSIGNMENT_TRANSFERRED, audience, payload.petition_id, values)]


def assignment_refused(payload: events_pb2.AssignmentRefused) -> list[Intent]:
    if not payload.arbitrator_id:
        return []
    values = {
        "petition_id": payload.petition_id,
        "department_code": payload.department_code or "?",
        "count": str(payload.refusal_count),
    }
    audience = (Person(payload.arbitrator_id),)
    return [Intent(NoticeKind.ASSIGNMENT_REFUSED, audience, payload.petition_id, values)]


def whistle_blown(payload: events_pb2.WhistleBlown) -> list[Intent]:
    grid = payload.grid.code
    audiences = tuple(DepartmentPeople(code, grid, staff=True) for code in payload.department_codes)
    values = {
        "petition_id": payload.petition_id,
        "grid_code": grid or "?",
        "deadline": _when(payload, "report_deadline"),
    }
    return [Intent(NoticeKind.WHISTLE_BLOWN, audiences, payload.petition_id, values)]


def whistle_report_overdue(payload: events_pb2.WhistleReportOverdue) -> list[Intent]:
    values = {
        "petition_id": payload.petition_id,
        "department_code": payload.department_code or "?",
        "deadline": _when(payload, "deadline"),
    }
    audience = (DepartmentPeople(payload.department_code),)
    return [Intent(NoticeKind.WHISTLE_REPORT_OVERDUE, audience, payload.petition_id, values)]


RULES: dict[str, Rule] = {
    message.DESCRIPTOR.full_name: rule
    for message, rule in (
        (events_pb2.PetitionAssigned, petition_assigned),
        (events_pb2.PetitionStatusChanged, petition_status_changed),
        (events_pb2.PetitionMerged, petition_merged),
        (events_pb2.PetitionOverdue, petition_overdue),
        (events_pb2.PetitionEscalated, petition_escalated),
        (events_pb2.AssignmentTransferred, assignment_transferred),
        (events_pb2.AssignmentRefused, assignment_refused),
        (events_pb2.WhistleBlown, whistle_blown),
        (events_pb2.WhistleReportOverdue, whistle_report_overdue),
    )
}


def intents_for(payload: Message, disabled: Iterable[NoticeKind] = ()) -> list[Intent]:
    """The intents `payload` causes; none for event types without a rule or disabled kinds."""
    rule = RULES.get(payload.DESCRIPTOR.full_name)
    if rule is None:
        return []
    off = set(disabled)
    return [intent for intent in rule(payload) if intent.kind not in off and intent.audiences]


def notices(intent: Intent, recipients: Iterable[Recipient]) -> list[Notice]:
    """One notice per distinct recipient, each in the recipient's own language."""
    seen: set[str] = set()
    made: list[Notice] = []
    for recipient in recipients:
        if recipient.person_id in seen or not recipient.person_id:
            continue
        seen.add(recipient.person_id)
        title, body = render(intent.kind, recipient.language, **intent.values)
        made.append(Notice(recipient.person_id, intent.kind, intent.petition_id, title, body))
    return made


def _when(payload: Message, field_name: str) -> str:
    # Recipients' time zones come with their profiles later; until then say UTC explicitly.
    if not payload.HasField(field_name):
        return "?"
    instant = getattr(payload, field_name).ToDatetime(tzinfo=UTC)
    return instant.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class ChannelPolicy:
    """Which channels are configured, and which kinds are worth an SMS."""

    email: bool = False
    sms: bool = False
    sms_kinds: frozenset[NoticeKind] = frozenset()
    disabled_kinds: frozenset[NoticeKind] = frozenset()


def channels_for(recipient: Recipient, kind: NoticeKind, policy: ChannelPolicy) -> list[Channel]:
    """The inbox always; email and SMS when configured and the recipient has the contact."""
    channels = [Channel.INBOX]
    if policy.email and recipient.email:
        channels.append(Channel.EMAIL)
    if policy.sms and recipient.phone and kind in policy.sms_kinds:
        channels.append(Channel.SMS)
    return channels
