"""Events evaluation consumes, turned into read-model writes.

The live service consumes the petition, dispatch and grid topics (TOPICS, HANDLERS):
petitions, assignments and clocks; visits and missed care visits (dispatch); households
(grid-registry's HouseholdChanged). Its own FollowUpCompleted, AssessmentRecorded and
GridDigestReady are written to the read models by the use case that
publishes them; only a rebuild replays them from evaluation's topic (REBUILD_TOPICS,
REBUILD_HANDLERS), keyed by the event id the use case used, so nothing counts twice.
"""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.orm import Session

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.api.convert import assessment_recorded, follow_up_completed
from gridplus.evaluation.storage import digests, facts, households, petition_points
from gridplus.kit.clock import as_utc
from gridplus.kit.consumer import EventHandler, handler_table
from gridplus.kit.events import Event
from gridplus.kit.topology import events_topic

TOPICS = [events_topic("petition"), events_topic("dispatch"), events_topic("grid")]
REBUILD_TOPICS = [*TOPICS, events_topic("evaluation")]
_STATUS_PREFIX = "PETITION_STATUS_"


def _at(stamp: Timestamp, event: Event) -> datetime:
    """The payload's own time; the event's ce_time when the producer left it unset."""
    return as_utc(stamp.ToDatetime()) if stamp.seconds or stamp.nanos else as_utc(event.time)


def _optional(stamp: Timestamp) -> datetime | None:
    return as_utc(stamp.ToDatetime()) if stamp.seconds or stamp.nanos else None


# Looked up per event; an unknown value goes to Name(), which refuses it as it always did.
_STATUS_NAMES = {
    value.number: value.name.removeprefix(_STATUS_PREFIX)
    for value in petition_pb2.PetitionStatus.DESCRIPTOR.values
}


def _status(value: int) -> str:
    name = _STATUS_NAMES.get(value)
    if name is None:
        name = petition_pb2.PetitionStatus.Name(value).removeprefix(_STATUS_PREFIX)  # type: ignore[arg-type]
    return name


def on_submitted(session: Session, event: Event) -> None:
    p: events_pb2.PetitionSubmitted = event.payload  # type: ignore[assignment]
    submitted_at = _at(p.submitted_at, event)
    facts.record_submitted(
        session,
        petition_id=p.petition_id,
        reporter_id=p.reporter_id,
        submitted_at=submitted_at,
    )
    located = p.HasField("location")
    petition_points.record_submitted(
        session,
        petition_id=p.petition_id,
        latitude=p.location.lat if located else None,
        longitude=p.location.lon if located else None,
        category=p.category,
        submitted_at=submitted_at,
    )
    if p.HasField("imported"):
        # History from a 311 export: no dispatch event will place it, so it counts (submitted,
        # closed) for the grid the petition service located it in; never as assigned, so
        # response and handling rates are not made up from it.
        facts.record_located(
            session,
            petition_id=p.petition_id,
            grid_path=list(p.imported.grid.path),
            at=submitted_at,
        )


def on_status_changed(session: Session, event: Event) -> None:
    p: events_pb2.PetitionStatusChanged = event.payload  # type: ignore[assignment]
    changed_at = _at(p.changed_at, event)
    facts.record_status(
        session,
        petition_id=p.petition_id,
        from_status=_status(p.from_status),
        to_status=_status(p.to_status),
        actor_id=p.actor_id,
        changed_at=changed_at,
    )
    # The category after the change (e.g. corrected at verification).
    petition_points.record_category(
        session, petition_id=p.petition_id, category=p.category, at=changed_at
    )


def on_merged(session: Session, event: Event) -> None:
    p: events_pb2.PetitionMerged = event.payload  # type: ignore[assignment]
    facts.record_merged(
        session,
        petition_id=p.petition_id,
        survivor_id=p.survivor_id,
        merged_at=_at(p.merged_at, event),
    )


def on_assigned(session: Session, event: Event) -> None:
    p: events_pb2.PetitionAssigned = event.payload  # type: ignore[assignment]
    assigned_at = _at(p.assigned_at, event)
    facts.record_assigned(
        session,
        petition_id=p.petition_id,
        assigned_at=assigned_at,
        worker_id=p.assignee_id,
        department_code=p.department_code,
        grid_path=list(p.grid.path),
        verify_deadline=_optional(p.deadline),
    )
    petition_points.record_category(
        session, petition_id=p.petition_id, category=p.category, at=assigned_at
    )


def on_transferred(session: Session, event: Event) -> None:
    p: events_pb2.AssignmentTransferred = event.payload  # type: ignore[assignment]
    facts.record_transferred(
        session,
        petition_id=p.petition_id,
        transferred_at=_at(p.transferred_at, event),
        to_worker_id=p.to_assignee_id,
        to_department_code=p.to_department_code,
    )


def on_overdue(session: Session, event: Event) -> None:
    p: events_pb2.PetitionOverdue = event.payload  # type: ignore[assignment]
    facts.record_overdue(
        session,
        petition_id=p.petition_id,
        step=dispatch_pb2.AssignmentStep.Name(p.step).removeprefix("ASSIGNMENT_STEP_"),
        deadline=_at(p.deadline, event),
        detected_at=_at(p.detected_at, event),
    )


def on_whistle_blown(session: Session, event: Event) -> None:
    p: events_pb2.WhistleBlown = event.payload  # type: ignore[assignment]
    facts.record_whistle_blown(
        session,
        whistle_id=p.whistle_id,
        petition_id=p.petition_id,
        grid_path=list(p.grid.path),
        department_codes=list(p.department_codes),
        blown_at=_at(p.blown_at, event),
    )


def on_whistle_reported(session: Session, event: Event) -> None:
    p: events_pb2.WhistleReported = event.payload  # type: ignore[assignment]
    facts.record_whistle_reported(
        session,
        whistle_id=p.whistle_id,
        petition_id=p.petition_id,
        department_code=p.department_code,
        reported_at=_at(p.reported_at, event),
        on_time=p.on_time,
    )


def on_follow_up_completed(session: Session, event: Event) -> None:
    p: events_pb2.FollowUpCompleted = event.payload  # type: ignore[assignment]
    completed = follow_up_completed(p, _at(p.completed_at, event))
    facts.record_follow_up(session, completed, follow_up_id=event.id)


def on_assessment_recorded(session: Session, event: Event) -> None:
    p: events_pb2.AssessmentRecorded = event.payload  # type: ignore[assignment]
    facts.record_assessment(session, assessment_recorded(p, _at(p.recorded_at, event)))


def on_household_changed(session: Session, event: Event) -> None:
    p: events_pb2.HouseholdChanged = event.payload  # type: ignore[assignment]
    households.record_household(
        session,
        household_id=p.household_id,
        version=p.version,
        grid_code=p.grid_code,
        place_code=p.place_code,
        member_count=p.member_count,
        care_member_ids=[m.member_id for m in p.care_members],
        removed=p.removed,
        changed_at=_at(p.changed_at, event),
    )


def on_visit_recorded(session: Session, event: Event) -> None:
    p: events_pb2.VisitRecorded = event.payload  # type: ignore[assignment]
    visited_at = _at(p.visited_at, event)
    households.record_visit(
        session,
        visit_id=p.visit_id,
        household_id=p.household_id,
        grid_code=p.grid_code,
        worker_id=p.worker_id,
        visited_at=visited_at,
        # A check without its due time is read as due at the visit itself.
        care_checks=[
            (c.member_id, _optional(c.due_at) or visited_at, c.on_time) for c in p.care_visits
        ],
    )


def on_care_visit_overdue(session: Session, event: Event) -> None:
    p: events_pb2.CareVisitOverdue = event.payload  # type: ignore[assignment]
    households.record_care_miss(
        session,
        member_id=p.member_id,
        due_at=_at(p.due_at, event),
        household_id=p.household_id,
        grid_code=p.grid_code,
        detected_at=_at(p.detected_at, event),
    )


def on_grid_digest_ready(session: Session, event: Event) -> None:
    p: events_pb2.GridDigestReady = event.payload  # type: ignore[assignment]
    digests.record_published(
        session,
        grid_code=p.grid_code,
        period_start=_at(p.period_start, event),
        event_id=event.id,
        published_at=as_utc(event.time),
    )


# WhistleReportOverdue needs no handler: a summons without an on-time report counts as not
# reported in time whether or not the breach event arrived.
HANDLERS: dict[str, EventHandler] = handler_table(
    (events_pb2.PetitionSubmitted, on_submitted),
    (events_pb2.PetitionStatusChanged, on_status_changed),
    (events_pb2.PetitionMerged, on_merged),
    (events_pb2.PetitionAssigned, on_assigned),
    (events_pb2.AssignmentTransferred, on_transferred),
    (events_pb2.PetitionOverdue, on_overdue),
    (events_pb2.WhistleBlown, on_whistle_blown),
    (events_pb2.WhistleReported, on_whistle_reported),
    (events_pb2.HouseholdChanged, on_household_changed),
    (events_pb2.VisitRecorded, on_visit_recorded),
    (events_pb2.CareVisitOverdue, on_care_visit_overdue),
)
REBUILD_HANDLERS: dict[str, EventHandler] = {
    **HANDLERS,
    **handler_table(
        (events_pb2.FollowUpCompleted, on_follow_up_completed),
        (events_pb2.AssessmentRecorded, on_assessment_recorded),
        (events_pb2.GridDigestReady, on_grid_digest_ready),
    ),
}
