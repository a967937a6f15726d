"""Follow-up done-means: resolve -> rating 5 -> FollowUpCompleted SATISFIED; resolve -> rating 1
-> UNSATISFIED -> (REOPENED by petition) -> resolve -> rating 4 -> SATISFIED; the worker's
scorecard shows the right rates. Plus visits, timeouts, access and retries. SQLite and
PostgreSQL, real in-process gRPC, injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.jobs.follow_up_timeouts import FollowUpTimeouts
from gridplus.kit.auth import Role
from gridplus.kit.db import transaction
from gridplus.kit.tables import outbox_messages
from tests.integration.evaluation.conftest import START, Evaluation, Metadata, as_caller, stamp

pytestmark = pytest.mark.integration

PATH = ["G-01", "G-01-02", "G-01-02-07"]
WORKER = "worker-7"
DEPARTMENT = "D-ROADS"
H = timedelta(hours=1)
STATUS = petition_pb2.PetitionStatus


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def route(evaluation: Evaluation, petition_id: str, reporter: str, worker: str = WORKER) -> None:
    evaluation.apply(
        events_pb2.PetitionSubmitted(
            petition_id=petition_id, reporter_id=reporter, submitted_at=stamp(at(0))
        )
    )
    evaluation.apply(
        events_pb2.PetitionAssigned(
            petition_id=petition_id,
            grid=common_pb2.GridRef(code=PATH[-1], level=3, path=PATH),
            assignee_id=worker,
            department_code=DEPARTMENT,
            assigned_at=stamp(at(0)),
            deadline=stamp(at(2)),
        )
    )


def move(evaluation: Evaluation, petition_id: str, old: int, new: int, hours: float) -> None:
    evaluation.apply(
        events_pb2.PetitionStatusChanged(
            petition_id=petition_id,
            from_status=old,  # type: ignore[arg-type]
            to_status=new,  # type: ignore[arg-type]
            actor_id=WORKER,
            changed_at=stamp(at(hours)),
        )
    )


def resolve(evaluation: Evaluation, petition_id: str, hours: float) -> None:
    move(
        evaluation,
        petition_id,
        STATUS.PETITION_STATUS_ASSIGNED,
        STATUS.PETITION_STATUS_VERIFIED,
        1,  # responded within the 2 h verify deadline
    )
    move(
        evaluation,
        petition_id,
        STATUS.PETITION_STATUS_VERIFIED,
        STATUS.PETITION_STATUS_RESOLVED,
        hours,
    )


def rate(
    evaluation: Evaluation, petition_id: str, reporter: str, rating: int, **extra: str
) -> pb.FollowUpAnswer:
    response = evaluation.api.RateFollowUp(
        pb.RateFollowUpRequest(petition_id=petition_id, rating=rating, **extra),  # type: ignore[arg-type]
        metadata=as_caller(reporter, Role.RESIDENT),
    )
    return response.answer


def published(evaluation: Evaluation) -> list[events_pb2.FollowUpCompleted]:
    with transaction(evaluation.sessions) as session:
        rows = session.execute(
            select(outbox_messages.c.key, outbox_messages.c.payload, outbox_messages.c.topic)
            .where(outbox_messages.c.ce_type == "gridplus.events.v1.FollowUpCompleted")
            .order_by(outbox_messages.c.id)
        ).all()
    assert {(r.topic) for r in rows} <= {"gridplus.evaluation.events.v1"}
    events = [events_pb2.FollowUpCompleted.FromString(r.payload) for r in rows]
    assert [r.key for r in rows] == [e.petition_id for e in events]  # keyed by petition id
    return events


CHIEF = as_caller("chief-1", Role.GRID_CHIEF, ("G-01-02",))
ADMIN = as_caller("admin-1", Role.ADMIN)


def worker_card(
    evaluation: Evaluation,
    kind: int = pb.SUBJECT_KIND_WORKER,
    subject: str = WORKER,
    metadata: Metadata = CHIEF,
) -> pb.Scorecard:
    return evaluation.api.GetScorecard(
        pb.GetScorecardRequest(
            kind=kind,  # type: ignore[arg-type]
            subject_id=subject,
            period=pb.PeriodSelector(kind=pb.PERIOD_KIND_MONTH),
        ),
        metadata=metadata,
    ).scorecard


def code(error: pytest.ExceptionInfo[grpc.RpcError]) -> grpc.StatusCode:
    return error.value.code()  # type: ignore[no-any-return]


def test_satisfied_closes_unsatisfied_reopens_and_the_scorecard_shows_it(
    evaluation: Evaluation,
) -> None:
    route(evaluation, "p-1", "r-1")
    route(evaluation, "p-2", "r-2")
    resolve(evaluation, "p-1", 4)
    resolve(evaluation, "p-2", 3)

    evaluation.clock.set(at(5))
    first = rate(evaluation, "p-1", "r-1", 5, comment="fixed fast")
    assert (first.outcome, first.via, first.rating, first.comment) == (
        pb.FOLLOW_UP_OUTCOME_SATISFIED,
        "rating",
        5,
        "fixed fast",
    )
    move(evaluation, "p-1", STATUS.PETITION_STATUS_RESOLVED, STATUS.PETITION_STATUS_CLOSED, 5.1)

    second = rate(evaluation, "p-2", "r-2", 1)
    assert second.outcome == pb.FOLLOW_UP_OUTCOME_UNSATISFIED
    # The petition service reacts to UNSATISFIED by reopening; dispatch restarts the clock.
    move(evaluation, "p-2", STATUS.PETITION_STATUS_RESOLVED, STATUS.PETITION_STATUS_REOPENED, 5.5)
    move(evaluation, "p-2", STATUS.PETITION_STATUS_REOPENED, STATUS.PETITION_STATUS_RESOLVED, 9)
    evaluation.clock.set(at(10))
    third = rate(evaluation, "p-2", "r-2", 4)
    assert third.outcome == pb.FOLLOW_UP_OUTCOME_SATISFIED
    move(evaluation, "p-2", STATUS.PETITION_STATUS_RESOLVED, STATUS.PETITION_STATUS_CLOSED, 10.1)

    events = published(evaluation)
    assert [(e.petition_id, e.outcome, e.rating, e.via, e.actor_id) for e in events] == [
        ("p-1", events_pb2.FOLLOW_UP_OUTCOME_SATISFIED, 5, "rating", "r-1"),
        ("p-2", events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED, 1, "rating", "r-2"),
        ("p-2", events_pb2.FOLLOW_UP_OUTCOME_SATISFIED, 4, "rating", "r-2"),
    ]
    assert events[0].completed_at.ToDatetime(tzinfo=START.tzinfo) == at(5)

    card = worker_card(evaluation)
    assert (card.assigned_count, card.responded_on_time_count, card.response_rate) == (2, 2, 1.0)
    assert (card.resolved_count, card.on_time_count, card.on_time_rate) == (3, 3, 1.0)
    assert (card.satisfied_count, card.unsatisfied_count, card.no_response_count) == (2, 1, 0)
    assert card.satisfaction_rate == pytest.approx(2 / 3)
    assert (card.answered_petition_count, card.solved_count, card.resolution_rate) == (2, 2, 1.0)
    assert (card.reopened_count, card.reopen_rate) == (1, pytest.approx(1 / 3))
    assert card.closed_count == 2
    # Handling: p-1 4 h, p-2 3 h, then 3.5 h from its reopening.
    assert card.average_handling_seconds == 3.5 * 3600
    assert card.p90_handling_seconds == 4 * 3600
    for kind, subject in ((pb.SUBJECT_KIND_GRID, "G-01"), (pb.SUBJECT_KIND_DEPARTMENT, DEPARTMENT)):
        rolled = worker_card(evaluation, kind, subject, ADMIN)
        assert rolled.satisfaction_rate == card.satisfaction_rate
        assert rolled.resolved_count == 3


def test_only_the_reporter_rates_and_only_a_pending_follow_up(evaluation: Evaluation) -> None:
    route(evaluation, "p-1", "r-1")
    with pytest.raises(grpc.RpcError) as early:
        rate(evaluation, "p-1", "r-1", 5)
    assert code(early) == grpc.StatusCode.FAILED_PRECONDITION  # not resolved yet
    resolve(evaluation, "p-1", 4)
    evaluation.clock.set(at(5))
    with pytest.raises(grpc.RpcError) as stranger:
        rate(evaluation, "p-1", "r-other", 5)
    # Another resident's follow-up is answered as one that does not exist (OWASP API1).
    assert code(stranger) == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as staff:
        evaluation.api.RateFollowUp(
            pb.RateFollowUpRequest(petition_id="p-1", rating=5),
            metadata=as_caller("r-1", Role.GRID_WORKER),
        )
    assert code(staff) == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as bad:
        rate(evaluation, "p-1", "r-1", 0)
    assert code(bad) == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(bad.value)  # type: ignore[arg-type]
    assert status is not None
    details = error_details_pb2.BadRequest()
    status.details[0].Unpack(details)
    assert [v.field for v in details.field_violations] == ["rating"]
    with pytest.raises(grpc.RpcError) as unknown:
        rate(evaluation, "p-nope", "r-1", 5)
    assert code(unknown) == grpc.StatusCode.NOT_FOUND
    assert published(evaluation) == []

    first = rate(evaluation, "p-1", "r-1", 5, request_id="req-1")
    again = rate(evaluation, "p-1", "r-1", 5, request_id="req-1")  # a retry: same answer
    assert again == first
    with pytest.raises(grpc.RpcError) as twice:
        rate(evaluation, "p-1", "r-1", 2, request_id="req-2")
    assert code(twice) == grpc.StatusCode.FAILED_PRECONDITION  # already answered
    assert len(published(evaluation)) == 1


def test_a_grid_worker_records_a_visit_with_the_residents_answer(evaluation: Evaluation) -> None:
    route(evaluation, "p-1", "r-1")
    route(evaluation, "p-2", "r-2")
    resolve(evaluation, "p-1", 4)
    resolve(evaluation, "p-2", 4)
    evaluation.clock.set(at(6))
    with pytest.raises(grpc.RpcError) as outsider:
        evaluation.api.RecordFollowUpVisit(
            pb.RecordFollowUpVisitRequest(petition_id="p-1", rating=5),
            metadata=as_caller("worker-9", Role.GRID_WORKER, ("G-02",)),
        )
    assert code(outsider) == grpc.StatusCode.NOT_FOUND  # outside the worker's grids
    own = evaluation.api.RecordFollowUpVisit(
        pb.RecordFollowUpVisitRequest(petition_id="p-1", rating=2, comment="still leaking"),
        metadata=as_caller(WORKER, Role.GRID_WORKER),
    ).answer
    assert (own.outcome, own.via, own.actor_id) == (
        pb.FOLLOW_UP_OUTCOME_UNSATISFIED,
        "visit",
        WORKER,
    )
    chief = evaluation.api.RecordFollowUpVisit(
        pb.RecordFollowUpVisitRequest(petition_id="p-2", rating=4),
        metadata=as_caller("chief-1", Role.GRID_CHIEF, ("G-01-02",)),
    ).answer
    assert chief.outcome == pb.FOLLOW_UP_OUTCOME_SATISFIED
    assert [e.via for e in published(evaluation)] == ["visit", "visit"]


def test_unanswered_follow_ups_close_as_no_response_counted_apart(evaluation: Evaluation) -> None:
    route(evaluation, "p-1", "r-1")
    resolve(evaluation, "p-1", 4)
    timeouts = FollowUpTimeouts(evaluation.sessions, evaluation.follow_ups, interval_seconds=60)
    view = evaluation.api.GetFollowUp(
        pb.GetFollowUpRequest(petition_id="p-1"), metadata=as_caller("r-1", Role.RESIDENT)
    )
    assert view.pending
    assert view.due_time.ToDatetime(tzinfo=START.tzinfo) == at(4) + timedelta(days=7)

    evaluation.clock.set(at(4) + timedelta(days=7) - timedelta(minutes=1))
    assert timeouts.run_once() == 0
    evaluation.clock.set(at(4) + timedelta(days=7))
    assert timeouts.run_once() == 1
    assert timeouts.run_once() == 0  # once only
    (event,) = published(evaluation)
    assert (event.outcome, event.via, event.rating, event.actor_id) == (
        events_pb2.FOLLOW_UP_OUTCOME_NO_RESPONSE,
        "timeout",
        0,
        "evaluation",
    )
    with pytest.raises(grpc.RpcError) as late:
        rate(evaluation, "p-1", "r-1", 5)
    assert code(late) == grpc.StatusCode.FAILED_PRECONDITION
    card = worker_card(evaluation)
    assert (card.no_response_count, card.satisfied_count, card.unsatisfied_count) == (1, 0, 0)
    assert (card.satisfaction_rate, card.answered_petition_count, card.solved_count) == (0.0, 0, 0)


def test_the_petition_service_rates_for_the_resident_it_authenticated(
    evaluation: Evaluation,
) -> None:
    route(evaluation, "p-1", "r-1")
    resolve(evaluation, "p-1", 4)
    evaluation.clock.set(at(5))
    service = as_caller("petition", Role.SERVICE)
    with pytest.raises(grpc.RpcError) as nameless:
        evaluation.api.RateFollowUp(
            pb.RateFollowUpRequest(petition_id="p-1", rating=5), metadata=service
        )
    assert code(nameless) == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as wrong:
        evaluation.api.RateFollowUp(
            pb.RateFollowUpRequest(petition_id="p-1", rating=5, resident_id="r-2"), metadata=service
        )
    assert code(wrong) == grpc.StatusCode.NOT_FOUND  # r-2 did not report p-1
    with pytest.raises(grpc.RpcError) as posing:
        evaluation.api.RateFollowUp(
            pb.RateFollowUpRequest(petition_id="p-1", rating=5, resident_id="r-1"),
            metadata=as_caller("r-2", Role.RESIDENT),
        )
    assert code(posing) == grpc.StatusCode.PERMISSION_DENIED
    answer = evaluation.api.RateFollowUp(
        pb.RateFollowUpRequest(petition_id="p-1", rating=5, resident_id="r-1"), metadata=service
    ).answer
    assert (answer.actor_id, answer.outcome) == ("r-1", pb.FOLLOW_UP_OUTCOME_SATISFIED)


def test_scorecards_are_scoped_to_the_readers_grid_subtree_or_department(
    evaluation: Evaluation,
) -> None:
    route(evaluation, "p-1", "r-1")
    allowed = [
        (pb.SUBJECT_KIND_WORKER, WORKER, as_caller(WORKER, Role.GRID_WORKER)),
        (pb.SUBJECT_KIND_WORKER, WORKER, CHIEF),  # works in the chief's subtree
        (pb.SUBJECT_KIND_GRID, "G-01-02-07", CHIEF),
        (pb.SUBJECT_KIND_GRID, "G-01-02", CHIEF),
        (
            pb.SUBJECT_KIND_DEPARTMENT,
            DEPARTMENT,
            as_caller("s-1", Role.DEPARTMENT_STAFF, (), DEPARTMENT),
        ),
        (pb.SUBJECT_KIND_CITY, "", as_caller("w-9", Role.GRID_WORKER)),
        (pb.SUBJECT_KIND_GRID, "G-01", as_caller("insp-1", Role.INSPECTOR)),
    ]
    for kind, subject, metadata in allowed:
        assert worker_card(evaluation, kind, subject, metadata).assigned_count == 1, subject
    other_chief = as_caller("chief-2", Role.GRID_CHIEF, ("G-01-03",))
    denied = [
        (pb.SUBJECT_KIND_WORKER, WORKER, as_caller("w-9", Role.GRID_WORKER, ("G-02",))),
        (pb.SUBJECT_KIND_WORKER, WORKER, other_chief),
        (pb.SUBJECT_KIND_GRID, "G-01", CHIEF),  # above the chief's grid
        (
            pb.SUBJECT_KIND_DEPARTMENT,
            DEPARTMENT,
            as_caller("s-2", Role.DEPARTMENT_STAFF, (), "D-OTHER"),
        ),
    ]
    for kind, subject, metadata in denied:
        with pytest.raises(grpc.RpcError) as refused:
            worker_card(evaluation, kind, subject, metadata)
        assert code(refused) == grpc.StatusCode.PERMISSION_DENIED, subject


def test_the_reporter_of_a_merged_duplicate_may_rate_the_survivor(evaluation: Evaluation) -> None:
    route(evaluation, "p-1", "r-1")
    route(evaluation, "p-dup", "r-dup")
    evaluation.apply(
        events_pb2.PetitionMerged(petition_id="p-dup", survivor_id="p-1", merged_at=stamp(at(1)))
    )
    resolve(evaluation, "p-1", 4)
    evaluation.clock.set(at(5))
    view = evaluation.api.GetFollowUp(
        pb.GetFollowUpRequest(petition_id="p-1"), metadata=as_caller("r-dup", Role.RESIDENT)
    )
    assert view.pending
    assert rate(evaluation, "p-1", "r-dup", 5).outcome == pb.FOLLOW_UP_OUTCOME_SATISFIED
    with pytest.raises(grpc.RpcError) as stranger:
        evaluation.api.GetFollowUp(
            pb.GetFollowUpRequest(petition_id="p-1"), metadata=as_caller("r-x", Role.RESIDENT)
        )
    assert code(stranger) == grpc.StatusCode.NOT_FOUND
    # The duplicate leaves the response-rate cohort: one petition assigned, not two.
    assert worker_card(evaluation).assigned_count == 1


def test_staff_read_follow_ups_of_their_grid_subtree_or_department_only(
    evaluation: Evaluation,
) -> None:
    """Issue 17: any staff token read any petition's follow-up (the resident's rating and
    words). Outside the caller's scope it is answered as unknown (OWASP API1)."""
    route(evaluation, "p-1", "r-1")
    resolve(evaluation, "p-1", 4)
    readers = [
        as_caller(WORKER, Role.GRID_WORKER),  # its worker
        CHIEF,  # G-01-02 holds its grid
        as_caller("s-1", Role.DEPARTMENT_STAFF, (), DEPARTMENT),
        as_caller("h-1", Role.DEPARTMENT_HEAD, (), DEPARTMENT),
        as_caller("insp-1", Role.INSPECTOR),
        ADMIN,
        as_caller("r-1", Role.RESIDENT),
    ]
    for metadata in readers:
        view = evaluation.api.GetFollowUp(
            pb.GetFollowUpRequest(petition_id="p-1"), metadata=metadata
        )
        assert view.pending
    outsiders = [
        as_caller("w-9", Role.GRID_WORKER, ("G-02",)),
        as_caller("chief-2", Role.GRID_CHIEF, ("G-01-03",)),
        as_caller("s-2", Role.DEPARTMENT_STAFF, (), "D-OTHER"),
        as_caller("s-3", Role.DEPARTMENT_STAFF),  # a department token without its claim
    ]
    for metadata in outsiders:
        with pytest.raises(grpc.RpcError) as hidden:
            evaluation.api.GetFollowUp(pb.GetFollowUpRequest(petition_id="p-1"), metadata=metadata)
        assert code(hidden) == grpc.StatusCode.NOT_FOUND
