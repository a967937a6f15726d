"""Which notices an event causes, and for whom.

RULES maps an event type (the payload's full protobuf name, which is its CloudEvents ce_type) to
a rule: a function of the payload and the template language that returns the notices to deliver.
To notify on another event, write its rule, add one line to RULES, and subscribe to its topic in
messaging/consumers.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from google.protobuf.message import Message

from gridplus.api.events.v1 import events_pb2
from gridplus.notification.domain.notices import Notice, NoticeKind
from gridplus.notification.domain.templates import DEFAULT_LANGUAGE, render

Rule = Callable[[Any, str], list[Notice]]


def petition_assigned(payload: events_pb2.PetitionAssigned, language: str) -> list[Notice]:
    if not payload.assignee_id:
        return []
    title, body = render(
        NoticeKind.PETITION_ASSIGNED,
        language,
        grid_code=payload.grid.code or "?",
        deadline=_when(payload, "deadline"),
    )
    return [
        Notice(
            recipient_id=payload.assignee_id,
            kind=NoticeKind.PETITION_ASSIGNED,
            petition_id=payload.petition_id,
            title=title,
            body=body,
        )
    ]


RULES: dict[str, Rule] = {
    events_pb2.PetitionAssigned.DESCRIPTOR.full_name: petition_assigned,
}


def notices_for(payload: Message, language: str = DEFAULT_LANGUAGE) -> list[Notice]:
    """The notices `payload` causes; none for event types without a rule."""
    rule = RULES.get(payload.DESCRIPTOR.full_name)
    return rule(payload, language) if rule is not None else []


def _when(payload: Message, field: str) -> str:
    # Recipients' time zones come with their profiles later; until then say UTC explicitly.
    if not payload.HasField(field):
        return "?"
    instant = getattr(payload, field).ToDatetime(tzinfo=UTC)
    return instant.strftime("%Y-%m-%d %H:%M UTC")
