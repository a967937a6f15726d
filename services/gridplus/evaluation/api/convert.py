"""The evaluation API's conversions: proto <-> domain values, and the CSV and JSON export files.

Its own events are converted here too: domain events to their protobuf payloads (events.proto)
and back when a rebuild replays them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation.domain.events import (
    AssessmentRecorded,
    DomainEvent,
    FollowUpCompleted,
    Via,
)
from gridplus.evaluation.domain.follow_up import Answer
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import (
    CITY,
    FollowUpOutcome,
    Scorecard,
    Subject,
    SubjectKind,
    Window,
)
from gridplus.evaluation.domain.time_bank import Entry
from gridplus.kit.errors import InvalidArgument

KINDS = {
    pb.SUBJECT_KIND_WORKER: SubjectKind.WORKER,
    pb.SUBJECT_KIND_GRID: SubjectKind.GRID,
    pb.SUBJECT_KIND_DEPARTMENT: SubjectKind.DEPARTMENT,
    pb.SUBJECT_KIND_CITY: SubjectKind.CITY,
}
KINDS_TO_PROTO = {v: k for k, v in KINDS.items()}
PERIODS = {
    pb.PERIOD_KIND_DAY: PeriodKind.DAY,
    pb.PERIOD_KIND_WEEK: PeriodKind.WEEK,
    pb.PERIOD_KIND_MONTH: PeriodKind.MONTH,
    pb.PERIOD_KIND_YEAR: PeriodKind.YEAR,
}
OUTCOMES = {
    FollowUpOutcome.SATISFIED: pb.FOLLOW_UP_OUTCOME_SATISFIED,
    FollowUpOutcome.UNSATISFIED: pb.FOLLOW_UP_OUTCOME_UNSATISFIED,
    FollowUpOutcome.NO_RESPONSE: pb.FOLLOW_UP_OUTCOME_NO_RESPONSE,
}


def kind(value: int) -> SubjectKind:
    found = KINDS.get(value)  # type: ignore[call-overload]
    if found is None:
        raise InvalidArgument.single("kind", "choose WORKER, GRID, DEPARTMENT or CITY")
    return found


def subject(kind_value: int, subject_id: str) -> Subject:
    chosen = kind(kind_value)
    subject_id = CITY if chosen is SubjectKind.CITY else subject_id
    if not subject_id:
        raise InvalidArgument.single("subject_id", "required for this kind")
    return Subject(chosen, subject_id)


def period(selector: pb.PeriodSelector, *, today: date, field: str = "period") -> Window:
    chosen = PERIODS.get(selector.kind)  # type: ignore[call-overload]
    if chosen is None:
        raise InvalidArgument.single(f"{field}.kind", "choose DAY, WEEK, MONTH or YEAR")
    anchor = selector.anchor_time.ToDatetime().date() if selector.HasField("anchor_time") else today
    start, end = period_range(chosen, anchor)
    return Window(start, end)


def scorecard_window(request: pb.GetScorecardRequest, *, today: date) -> Window:
    if request.HasField("period") and request.period.kind:
        return period(request.period, today=today)
    start = request.start_time.ToDatetime().date() if request.HasField("start_time") else date.min
    end = (
        request.end_time.ToDatetime().date()
        if request.HasField("end_time")
        else today + timedelta(days=1)
    )
    if end <= start:
        raise InvalidArgument.single("end_time", "must be after start_time")
    return Window(start, end)


def stamp(at: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(at)
    return result


def scorecard(card: Scorecard, out: pb.Scorecard) -> pb.Scorecard:
    out.kind = KINDS_TO_PROTO[card.subject.kind]
    out.subject_id = "" if card.subject.kind is SubjectKind.CITY else card.subject.subject_id
    if card.window.start != date.min:
        out.start_time.CopyFrom(stamp(card.window.start_at))
    out.end_time.CopyFrom(stamp(datetime.combine(card.window.end, datetime.min.time(), UTC)))
    out.submitted_count = card.submitted
    out.assigned_count = card.assigned
    out.resolved_count = card.resolved
    out.closed_count = card.closed
    out.overdue_count = card.overdue
    out.responded_on_time_count = card.responded_on_time
    out.response_rate = card.response_rate
    out.on_time_count = card.on_time
    out.on_time_rate = card.on_time_rate
    out.answered_petition_count = card.answered_petitions
    out.solved_count = card.solved
    out.resolution_rate = card.resolution_rate
    out.satisfied_count = card.satisfied
    out.unsatisfied_count = card.unsatisfied
    out.no_response_count = card.no_response
    out.satisfaction_rate = card.satisfaction_rate
    out.average_handling_seconds = card.average_handling_seconds
    out.p90_handling_seconds = card.p90_handling_seconds
    out.reopened_count = card.reopened
    out.reopen_rate = card.reopen_rate
    out.whistle_summoned_count = card.whistle_summoned
    out.whistle_reported_on_time_count = card.whistle_reported_on_time
    out.whistle_report_rate = card.whistle_report_rate
    out.households_count = card.households
    out.households_visited_count = card.households_visited
    out.visit_coverage = card.visit_coverage
    out.care_visits_due_count = card.care_visits_due
    out.care_visits_on_time_count = card.care_visits_on_time
    out.care_visit_on_time_rate = card.care_visit_on_time_rate
    return out


def answer(found: Answer) -> pb.FollowUpAnswer:
    return pb.FollowUpAnswer(
        id=found.id,
        petition_id=found.petition_id,
        outcome=OUTCOMES[found.outcome],
        rating=found.rating,
        comment=found.comment,
        via=found.via,
        actor_id=found.actor_id,
        completed_at=stamp(found.completed_at),
    )


def entry(found: Entry) -> pb.TimeBankEntry:
    return pb.TimeBankEntry(
        id=found.id,
        person_id=found.person_id,
        points=found.points,
        balance_after=found.balance_after,
        minutes=found.minutes,
        reason=found.reason,
        actor_id=found.actor_id,
        actor_role=found.actor_role,
        recorded_at=stamp(found.recorded_at),
    )


# -- export files (ExportScorecards and `python -m gridplus.evaluation export`) ---------------

COLUMNS = (
    "kind",
    "subject_id",
    "start",
    "end",
    "submitted",
    "assigned",
    "responded_on_time",
    "response_rate",
    "resolved",
    "on_time",
    "on_time_rate",
    "answered_petitions",
    "solved",
    "resolution_rate",
    "satisfied",
    "unsatisfied",
    "no_response",
    "satisfaction_rate",
    "average_handling_seconds",
    "p90_handling_seconds",
    "reopened",
    "reopen_rate",
    "closed",
    "overdue",
    "whistle_summoned",
    "whistle_reported_on_time",
    "whistle_report_rate",
    "households",
    "households_visited",
    "visit_coverage",
    "care_visits_due",
    "care_visits_on_time",
    "care_visit_on_time_rate",
)


def row(card: Scorecard) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": card.subject.kind.value,
        "subject_id": card.subject.subject_id,
        "start": "" if card.window.start == date.min else card.window.start.isoformat(),
        "end": card.window.end.isoformat(),
    }
    for column in COLUMNS[4:]:
        values[column] = getattr(card, column)
    return values


def to_csv(cards: Sequence[Scorecard]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for card in cards:
        writer.writerow(row(card))
    return buffer.getvalue()


COVERAGE_COLUMNS = (*COLUMNS[:4], *COLUMNS[COLUMNS.index("households") :])


def coverage_csv(cards: Sequence[Scorecard]) -> str:
    """Coverage and care visits per subject (`python -m gridplus.evaluation coverage`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COVERAGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for card in cards:
        values = row(card)
        writer.writerow({column: values[column] for column in COVERAGE_COLUMNS})
    return buffer.getvalue()


def to_json(cards: Sequence[Scorecard]) -> str:
    return json.dumps([row(card) for card in cards], ensure_ascii=False, indent=2) + "\n"


# -- events on the broker ----------------------------------------------------------------------

OUTCOME_TO_PROTO = {
    FollowUpOutcome.SATISFIED: events_pb2.FOLLOW_UP_OUTCOME_SATISFIED,
    FollowUpOutcome.UNSATISFIED: events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED,
    FollowUpOutcome.NO_RESPONSE: events_pb2.FOLLOW_UP_OUTCOME_NO_RESPONSE,
}
OUTCOME_FROM_PROTO = {v: k for k, v in OUTCOME_TO_PROTO.items()}


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
