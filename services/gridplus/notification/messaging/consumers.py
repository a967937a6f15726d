"""Events notification consumes, turned into inbox items and pending deliveries.

Every event type of the consumed topics goes through the same two-step handler: the event is
read into a plain fact (api/convert.py), the rules decide who is told (domain/rules.py),
webhook subscribers get any event type they asked for. Grid events (GridSetImported,
MembershipChanged) also drop the grid-registry answers kept across events (handlers/grid_cache.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.consumer import EventHandler, Prepared
from gridplus.kit.events import Event
from gridplus.kit.topology import events_topic
from gridplus.notification.api.convert import received
from gridplus.notification.handlers.notices import Notifier, Plan
from gridplus.notification.handlers.reporters_ahead import ReportersAhead

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Services whose event topics notification consumes (one consumer group for all of them).
SOURCE_AREAS: tuple[str, ...] = ("petition", "dispatch", "evaluation", "grid")

TOPICS: list[str] = [events_topic(area) for area in SOURCE_AREAS]

# Every message of events.proto is an event type (CategoryChoice is only ever embedded).
EVENT_TYPES: tuple[str, ...] = tuple(
    message.full_name for message in events_pb2.DESCRIPTOR.message_types_by_name.values()
)


class GridEvents(Protocol):
    """Who keeps grid-registry's answers (handlers/grid_cache.py) and must hear of changes."""

    def grid_set_imported(self, version: int) -> None: ...

    def membership_changed(self, grid_code: str) -> None: ...


def handlers(
    notifier: Notifier,
    grid_events: GridEvents | None = None,
    reporters_ahead: ReportersAhead | None = None,
) -> dict[str, EventHandler]:
    def prepare(event: Event) -> Plan | None:
        if grid_events is not None:
            # In `prepare`, in the event's place: the batch prepares the events after it before
            # anything is applied, and those must not be told from what this one changed.
            heard(grid_events, event)
        if imported_history(event):
            return None
        return notifier.prepare(received(event))

    def apply(session: Session, _event: Event, plan: Plan | None) -> None:
        if plan is not None:
            notifier.apply(session, plan)

    def prepare_ahead(events: Sequence[Event]) -> None:
        if reporters_ahead is not None:
            news = [received(event) for event in events if not imported_history(event)]
            reporters_ahead.fetch(notifier.reporters_needed(news))

    def read_ahead(session: Session, events: Sequence[Event]) -> None:
        notifier.read_ahead(session, [event.id for event in events])

    handler = Prepared(
        prepare=prepare, apply=apply, prepare_ahead=prepare_ahead, read_ahead=read_ahead
    )
    return dict.fromkeys(EVENT_TYPES, handler)


def heard(grid_events: GridEvents, event: Event) -> None:
    """A grid event drops what it changed; webhooks still get it, like every other event. A
    replayed one drops again: one more GetChain, nothing written."""
    payload = event.payload
    if isinstance(payload, events_pb2.GridSetImported):
        grid_events.grid_set_imported(payload.grid_set_version)
    elif isinstance(payload, events_pb2.MembershipChanged):
        grid_events.membership_changed(payload.grid_code)


def imported_history(event: Event) -> bool:
    """History imported from another system (a 311 export: events.proto `imported`) happened
    there long ago: nobody is told about it, by inbox, channel or webhook."""
    payload = event.payload
    if isinstance(payload, events_pb2.PetitionSubmitted):
        return payload.HasField("imported")
    return isinstance(payload, events_pb2.PetitionStatusChanged) and payload.imported
