"""Evaluation's own events on the wire: its domain events converted to their protobuf payloads
(events.proto) once, here, and back when a rebuild replays them; `publish` writes one to the
outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation.domain.events import (
    AssessmentRecorded,
    DomainEvent,
    FollowUpCompleted,
    Via,
)
from gridplus.evaluation.domain.scorecard import FollowUpOutcome
from gridplus.kit.outbox import Outbox

OUTCOME_TO_PROTO = {
    FollowUpOutcome.SATISFIED: events_pb2.FOLLOW_UP_OUTCOME_SATISFIED,
    FollowUpOutcome.UNSATISFIED: events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED,
    FollowUpOutcome.NO_RESPONSE: events_pb2.FOLLOW_UP_OUTCOME_NO_RESPONSE,
}
OUTCOME_FROM_PROTO = {v: k for k, v in OUTCOME_TO_PROTO.items()}


def publish(session: Session, outbox: Outbox, event: DomainEvent) -> str:
    """Write `event` to the outbox (same transaction as the state change); its event id."""
    key = event.petition_id if isinstance(event, FollowUpCompleted) else event.assessment_id
    return outbox.add(session, payload(event), key=key)


def payload(event: DomainEvent) -> Message:
    """The Kafka payload for a domain event."""
    if isinstance(event, FollowUpCompleted):
        completed = events_pb2.FollowUpCompleted(
            petition_id=event.petition_id,
            outcome=OUTCOME_TO_PROTO[event.outcome],
            rating=event.rating,
            via=event.via.value,
            actor_id=event.actor_id,
        )
        completed.completed_at.FromDatetime(event.at)
        return completed
    recorded = events_pb2.AssessmentRecorded(
        assessment_id=event.assessment_id,
        worker_id=event.worker_id,
        grid_code=event.grid_code,
        inspector_id=event.inspector_id,
        score=event.score,
        secret=event.secret,
    )
    recorded.recorded_at.FromDatetime(event.at)
    return recorded


def follow_up_completed(p: events_pb2.FollowUpCompleted, at: datetime) -> FollowUpCompleted:
    """The domain event of a replayed payload; `at` is its time (payload's, or the event's)."""
    return FollowUpCompleted(
        petition_id=p.petition_id,
        outcome=OUTCOME_FROM_PROTO[p.outcome],
        rating=p.rating,
        via=Via(p.via),
        actor_id=p.actor_id,
        at=at,
    )


def assessment_recorded(p: events_pb2.AssessmentRecorded, at: datetime) -> AssessmentRecorded:
    return AssessmentRecorded(
        assessment_id=p.assessment_id,
        worker_id=p.worker_id,
        grid_code=p.grid_code,
        inspector_id=p.inspector_id,
        score=p.score,
        secret=p.secret,
        at=at,
    )
