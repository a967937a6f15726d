"""Dispatch's routing decisions (gridplus.dispatch.events.v1) and evaluation's follow-up outcomes
(gridplus.evaluation.events.v1), turned into use-case calls.

A decision that arrives for a petition that has moved on is ignored (handlers/reactions.py); an
event the domain refuses (no grid, no deadline) fails and, after the kit's retries, lands in the
DLQ.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.orm import Session

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.kit.consumer import EventHandler, ReadAhead, handler_table
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.events import Event
from gridplus.petition.api.convert import (
    category_choice_from_event,
    follow_up_outcome_from_event,
    from_timestamp,
    grid_ref_from_proto,
)
from gridplus.petition.domain.petition import Step
from gridplus.petition.handlers import reactions
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.messaging.visits import visit_handlers
from gridplus.petition.storage import repository

# Dispatch's step -> the petition's.
_STEPS: dict[int, Step] = {
    dispatch_pb2.ASSIGNMENT_STEP_VERIFY: Step.VERIFY,
    dispatch_pb2.ASSIGNMENT_STEP_HANDLE: Step.HANDLE,
}


class DispatchEvents:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def on_petition_assigned(self, session: Session, event: Event) -> None:
        payload: events_pb2.PetitionAssigned = event.payload  # type: ignore[assignment]
        if not payload.HasField("deadline"):
            raise InvalidArgument.single("deadline", "PetitionAssigned carries no deadline")
        deadline = from_timestamp(payload.deadline)
        at = _when(_set(payload, "assigned_at"), event)
        choice = (
            category_choice_from_event(payload.category_choice)
            if payload.HasField("category_choice")
            else None
        )
        reactions.apply_assignment(
            session,
            self._deps,
            petition_id=payload.petition_id,
            grid=grid_ref_from_proto(payload.grid),
            assignee_id=payload.assignee_id,
            deadline=deadline,
            category=payload.category or None,
            at=at,
            note="; ".join(payload.reasons),
            choice=choice,
            department_code=payload.department_code or None,
            yellow_at=_verify_yellow_at(payload, deadline),
        )

    def on_routing_failed(self, session: Session, event: Event) -> None:
        payload: events_pb2.PetitionRoutingFailed = event.payload  # type: ignore[assignment]
        reactions.apply_routing_failure(
            session,
            self._deps,
            petition_id=payload.petition_id,
            reason=payload.reason or payload.reason_code or "could not be routed",
            at=_when(_set(payload, "failed_at"), event),
        )

    def on_sent_to_triage(self, session: Session, event: Event) -> None:
        payload: events_pb2.PetitionSentToTriage = event.payload  # type: ignore[assignment]
        reactions.apply_triage(
            session,
            self._deps,
            petition_id=payload.petition_id,
            reason=payload.reason,
            best_guess=category_choice_from_event(payload.best_guess),
            at=_when(_set(payload, "sent_at"), event),
        )

    def on_assignment_transferred(self, session: Session, event: Event) -> None:
        payload: events_pb2.AssignmentTransferred = event.payload  # type: ignore[assignment]
        reactions.apply_transfer(
            session,
            self._deps,
            petition_id=payload.petition_id,
            assignee_id=payload.to_assignee_id,
            department_code=payload.to_department_code or None,
            reason=payload.reason,
            actor_id=payload.actor_id,
            at=_when(_set(payload, "transferred_at"), event),
        )

    def on_deadline_changed(self, session: Session, event: Event) -> None:
        payload: events_pb2.PetitionDeadlineChanged = event.payload  # type: ignore[assignment]
        step = _STEPS.get(payload.step)
        if step is None:
            raise InvalidArgument.single("step", f"unknown assignment step {payload.step}")
        if not payload.HasField("deadline"):
            raise InvalidArgument.single("deadline", "PetitionDeadlineChanged carries no deadline")
        yellow_at = _set(payload, "yellow_at")
        reactions.apply_deadline(
            session,
            self._deps,
            petition_id=payload.petition_id,
            step=step,
            deadline=from_timestamp(payload.deadline),
            yellow_at=from_timestamp(yellow_at) if yellow_at is not None else None,
            paused=payload.paused,
            changed_at=_when(_set(payload, "changed_at"), event),
            reason=payload.reason,
        )

    def table(self) -> dict[str, EventHandler]:
        # Each decision changes its petition under a row lock: a batch's rows are locked and
        # read with one statement (on PostgreSQL a round trip per event saved).
        return handler_table(
            (events_pb2.PetitionAssigned, ReadAhead(self.on_petition_assigned, _lock_petitions)),
            (
                events_pb2.PetitionDeadlineChanged,
                ReadAhead(self.on_deadline_changed, _lock_petitions),
            ),
            (events_pb2.PetitionRoutingFailed, ReadAhead(self.on_routing_failed, _lock_petitions)),
            (events_pb2.PetitionSentToTriage, ReadAhead(self.on_sent_to_triage, _lock_petitions)),
            (
                events_pb2.AssignmentTransferred,
                ReadAhead(self.on_assignment_transferred, _lock_petitions),
            ),
        )


class EvaluationEvents:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def on_follow_up_completed(self, session: Session, event: Event) -> None:
        payload: events_pb2.FollowUpCompleted = event.payload  # type: ignore[assignment]
        outcome = follow_up_outcome_from_event(payload.outcome)
        if outcome is None:
            raise InvalidArgument.single("outcome", f"unknown follow-up outcome {payload.outcome}")
        reactions.apply_follow_up(
            session,
            self._deps,
            petition_id=payload.petition_id,
            outcome=outcome,
            at=_when(_set(payload, "completed_at"), event),
        )

    def table(self) -> dict[str, EventHandler]:
        return handler_table((events_pb2.FollowUpCompleted, self.on_follow_up_completed))


def dispatch_handlers(deps: Deps) -> dict[str, EventHandler]:
    # Dispatch's topic also carries its visits: findings that raise petitions.
    return {**DispatchEvents(deps).table(), **visit_handlers(deps)}


def evaluation_handlers(deps: Deps) -> dict[str, EventHandler]:
    return EvaluationEvents(deps).table()


def _lock_petitions(session: Session, events: Sequence[Event]) -> None:
    # Every payload of dispatch's decisions names its petition in `petition_id`.
    ids = {getattr(event.payload, "petition_id", "") for event in events}
    repository.lock_many(session, petition_ids=sorted(ids - {""}))


def _when(stamp: Timestamp | None, event: Event) -> datetime:
    # When the other service decided, which may be earlier than when the event arrived here.
    return from_timestamp(stamp) if stamp is not None else event.time


def _set(payload: Message, field: str) -> Timestamp | None:
    return getattr(payload, field) if payload.HasField(field) else None


def _verify_yellow_at(payload: events_pb2.PetitionAssigned, deadline: datetime) -> datetime:
    """When dispatch's verify clock turns yellow, as dispatch computed it. An event from a
    dispatch that predates the field carries none: the light then stays green until the
    deadline (petition never recomputes dispatch's rule)."""
    stamp = _set(payload, "yellow_at")
    return from_timestamp(stamp) if stamp is not None else deadline
