"""Events notification consumes, turned into deliveries.

Every event goes through the same use case; domain/rules.py decides who is told what. To
notify on petition or evaluation events, add their rules and their area to SOURCE_AREAS.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.orm import Session

from gridplus.kit.consumer import EventHandler
from gridplus.kit.events import Event
from gridplus.kit.topology import events_topic
from gridplus.notification import handlers
from gridplus.notification.domain import rules

# Services whose event topics notification consumes (one consumer group for all of them).
SOURCE_AREAS: tuple[str, ...] = ("dispatch",)

TOPICS: list[str] = [events_topic(area) for area in SOURCE_AREAS]


def on_event(session: Session, event: Event) -> None:
    at = event.time if event.time.tzinfo is not None else event.time.replace(tzinfo=UTC)
    handlers.deliver(
        session, event_id=event.id, event_type=event.type, payload=event.payload, at=at
    )


HANDLERS: dict[str, EventHandler] = {event_type: on_event for event_type in rules.RULES}
