"""Dispatch's routing decisions (gridplus.dispatch.events.v1), turned into use-case calls.

A decision that arrives for a petition that has moved on is ignored (see handlers); an event the
domain refuses (no grid, no deadline) fails and, after the kit's retries, lands in the DLQ.
"""

from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.consumer import EventHandler, handler_table
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.events import Event
from gridplus.kit.outbox import Outbox
from gridplus.petition import handlers
from gridplus.petition.protos import from_timestamp, grid_ref_from_proto


class DispatchEvents:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def on_petition_assigned(self, session: Session, event: Event) -> None:
        payload: events_pb2.PetitionAssigned = event.payload  # type: ignore[assignment]
        if not payload.HasField("deadline"):
            raise InvalidArgument.single("deadline", "PetitionAssigned carries no deadline")
        handlers.apply_assignment(
            session,
            outbox=self._outbox,
            petition_id=payload.petition_id,
            grid=grid_ref_from_proto(payload.grid),
            assignee_id=payload.assignee_id,
            deadline=from_timestamp(payload.deadline),
            category=payload.category or None,
            at=_when(_set(payload, "assigned_at"), event),
            note="; ".join(payload.reasons),
        )

    def on_routing_failed(self, session: Session, event: Event) -> None:
        payload: events_pb2.PetitionRoutingFailed = event.payload  # type: ignore[assignment]
        handlers.apply_routing_failure(
            session,
            outbox=self._outbox,
            petition_id=payload.petition_id,
            reason=payload.reason or payload.reason_code or "could not be routed",
            at=_when(_set(payload, "failed_at"), event),
        )

    def table(self) -> dict[str, EventHandler]:
        return handler_table(
            (events_pb2.PetitionAssigned, self.on_petition_assigned),
            (events_pb2.PetitionRoutingFailed, self.on_routing_failed),
        )


def dispatch_handlers(outbox: Outbox) -> dict[str, EventHandler]:
    return DispatchEvents(outbox).table()


def _when(stamp: Timestamp | None, event: Event) -> datetime:
    # When dispatch decided, which may be earlier than when the event reached this service.
    return from_timestamp(stamp) if stamp is not None else event.time


def _set(payload: Message, field: str) -> Timestamp | None:
    return getattr(payload, field) if payload.HasField(field) else None
