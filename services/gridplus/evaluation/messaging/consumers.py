"""Events evaluation consumes, turned into use-case calls."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation import handlers
from gridplus.kit.consumer import EventHandler, handler_table
from gridplus.kit.events import Event


def on_petition_submitted(session: Session, event: Event) -> None:
    payload: events_pb2.PetitionSubmitted = event.payload  # type: ignore[assignment]
    handlers.count_submitted(session, day=payload.submitted_at.ToDatetime().date())


def on_petition_assigned(session: Session, event: Event) -> None:
    payload: events_pb2.PetitionAssigned = event.payload  # type: ignore[assignment]
    handlers.count_assigned(
        session,
        day=payload.assigned_at.ToDatetime().date(),
        assignee_id=payload.assignee_id,
        grid_path=list(payload.grid.path),
    )


HANDLERS: dict[str, EventHandler] = handler_table(
    (events_pb2.PetitionSubmitted, on_petition_submitted),
    (events_pb2.PetitionAssigned, on_petition_assigned),
)
