"""The aggregates decide and record their events: a follow-up answered or expired records one
FollowUpCompleted and is no longer pending; an assessment records AssessmentRecorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.evaluation.domain.assessment import (
    Assessment,
    AssessmentScores,
    AssessmentWeights,
)
from gridplus.evaluation.domain.events import AssessmentRecorded, FollowUpCompleted, Via
from gridplus.evaluation.domain.follow_up import (
    FollowUp,
    FollowUpPolicy,
    FollowUpState,
    rating_resident,
)
from gridplus.evaluation.domain.scorecard import FollowUpOutcome
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from gridplus.kit.roles import Principal, Role

RESOLVED_AT = datetime(2025, 3, 4, 9, tzinfo=UTC)
LATER = RESOLVED_AT + timedelta(hours=2)


def follow_up(status: str = "RESOLVED") -> FollowUp:
    return FollowUp(
        petition_id="p-1",
        state=FollowUpState(status, RESOLVED_AT, None),
        reporter_ids=frozenset({"r-1", "r-dup"}),
        worker_id="w-1",
        grid_codes=frozenset({"G-01", "G-01-02"}),
    )


def test_an_answer_records_one_follow_up_completed_and_ends_the_wait() -> None:
    case = follow_up()
    event = case.answer(
        FollowUpPolicy(), rating=2, comment="still dark", via=Via.RATING, actor_id="r-1", at=LATER
    )
    assert case.events == [
        FollowUpCompleted("p-1", FollowUpOutcome.UNSATISFIED, 2, Via.RATING, "r-1", LATER)
    ]
    assert event is case.events[0]
    assert not case.state.pending
    with pytest.raises(FailedPrecondition):
        case.answer(FollowUpPolicy(), rating=5, comment="", via=Via.RATING, actor_id="r", at=LATER)
    assert len(case.events) == 1


def test_a_bad_answer_or_one_before_resolution_records_nothing() -> None:
    case = follow_up()
    with pytest.raises(InvalidArgument):
        case.answer(FollowUpPolicy(), rating=6, comment="", via=Via.VISIT, actor_id="w", at=LATER)
    unresolved = follow_up("VERIFIED")
    with pytest.raises(FailedPrecondition):
        unresolved.expire(LATER)
    assert case.events == unresolved.events == []


def test_expiry_is_no_response_by_evaluation() -> None:
    case = follow_up()
    case.expire(LATER)
    assert case.events == [
        FollowUpCompleted("p-1", FollowUpOutcome.NO_RESPONSE, 0, Via.TIMEOUT, "evaluation", LATER)
    ]


def test_who_may_answer() -> None:
    case = follow_up()
    case.check_reporter("r-dup")  # reported a duplicate merged into it
    with pytest.raises(NotFound):
        case.check_reporter("r-other")
    case.check_grid_staff(Principal("w-1", Role.GRID_WORKER))
    case.check_grid_staff(Principal("c", Role.GRID_CHIEF, grid_codes=("G-01",)))
    case.check_grid_staff(Principal("a", Role.ADMIN))
    with pytest.raises(NotFound):
        case.check_grid_staff(Principal("c", Role.GRID_CHIEF, grid_codes=("G-02",)))
    service = Principal("petition", Role.SERVICE)
    assert rating_resident(service, "r-1") == Principal("r-1", Role.RESIDENT)
    with pytest.raises(InvalidArgument):
        rating_resident(service, "")
    with pytest.raises(PermissionDenied):
        rating_resident(Principal("r-1", Role.RESIDENT), "r-2")


def test_an_assessment_records_assessment_recorded_with_its_weighted_score() -> None:
    assessment = Assessment.record(
        assessment_id="a-1",
        worker_id="w-1",
        grid_code="G-01-02",
        inspector_id="i-1",
        scores=AssessmentScores(90, 80, 70, 60),
        weights=AssessmentWeights.parse("listen=40,evaluate=20,look=20,discuss=20"),
        secret=True,
        note="",
        at=LATER,
    )
    assert assessment.events == [
        AssessmentRecorded("a-1", "w-1", "G-01-02", "i-1", 78.0, True, LATER)
    ]
    with pytest.raises(InvalidArgument):
        Assessment.record(
            assessment_id="a-2",
            worker_id="",
            grid_code="G",
            inspector_id="i",
            scores=AssessmentScores(0, 0, 0, 0),
            weights=AssessmentWeights(),
            secret=False,
            note="",
            at=LATER,
        )
