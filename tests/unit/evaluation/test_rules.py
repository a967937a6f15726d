"""Follow-up threshold, periods, assessment weights, stars and time-bank rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gridplus.evaluation.domain import stars
from gridplus.evaluation.domain.assessment import (
    AssessmentScores,
    AssessmentWeights,
    check_assessment,
)
from gridplus.evaluation.domain.follow_up import FollowUpPolicy, FollowUpState, check_answer
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import (
    CITY,
    FollowUpOutcome,
    Scorecard,
    Subject,
    SubjectKind,
    Window,
)
from gridplus.evaluation.domain.time_bank import check_spending, points_for
from gridplus.kit.errors import InvalidArgument

T = datetime(2025, 3, 4, 9, tzinfo=UTC)


def test_ratings_at_or_above_the_threshold_are_satisfied() -> None:
    policy = FollowUpPolicy()
    assert [policy.outcome(r) for r in range(1, 6)] == [FollowUpOutcome.UNSATISFIED] * 3 + [
        FollowUpOutcome.SATISFIED
    ] * 2
    strict = FollowUpPolicy(satisfied_min_rating=5)
    assert strict.outcome(4) is FollowUpOutcome.UNSATISFIED


def test_a_follow_up_is_pending_while_resolved_and_unanswered_since() -> None:
    later = datetime(2025, 3, 5, tzinfo=UTC)
    assert FollowUpState("RESOLVED", T, None).pending
    assert FollowUpState("RESOLVED", later, T).pending  # answered an earlier round
    assert not FollowUpState("RESOLVED", T, later).pending
    assert not FollowUpState("CLOSED", T, None).pending


def test_bad_answers_name_the_field() -> None:
    with pytest.raises(InvalidArgument) as bad:
        check_answer(6, "x" * 501)
    assert [v.field for v in bad.value.violations] == ["rating", "comment"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (PeriodKind.DAY, (date(2025, 3, 5), date(2025, 3, 6))),
        (PeriodKind.WEEK, (date(2025, 3, 3), date(2025, 3, 10))),
        (PeriodKind.MONTH, (date(2025, 3, 1), date(2025, 4, 1))),
        (PeriodKind.YEAR, (date(2025, 1, 1), date(2026, 1, 1))),
    ],
)
def test_periods_contain_their_anchor(kind: PeriodKind, expected: tuple[date, date]) -> None:
    assert period_range(kind, date(2025, 3, 5)) == expected


def test_december_ends_at_the_new_year() -> None:
    assert period_range(PeriodKind.MONTH, date(2025, 12, 31)) == (
        date(2025, 12, 1),
        date(2026, 1, 1),
    )


def test_assessment_weights_are_normalised_and_applied() -> None:
    weights = AssessmentWeights.parse("listen=40,evaluate=20,look=20,discuss=20")
    assert weights.listen == pytest.approx(0.4)
    assert AssessmentScores(100, 50, 50, 50).weighted(weights) == 70.0
    with pytest.raises(ValueError, match="missing"):
        AssessmentWeights.parse("listen=1")
    with pytest.raises(InvalidArgument):
        check_assessment("w", "g", AssessmentScores(101, 0, 0, 0), "")


def card(satisfied: int, unsatisfied: int, resolved: int, on_time: int) -> Scorecard:
    window = Window(date(2025, 3, 1), date(2025, 4, 1))
    return Scorecard(
        Subject(SubjectKind.CITY, CITY),
        window,
        satisfied=satisfied,
        unsatisfied=unsatisfied,
        resolved=resolved,
        on_time=on_time,
    )


def test_stars_follow_the_published_rule() -> None:
    # satisfaction 100 x40, on time 50 x30, assessment 80 x30 -> 79 points -> 3 stars.
    rating = stars.rate(card(2, 0, 2, 1), [70.0, 90.0])
    assert rating == stars.Rating(points=79.0, stars=3)
    assert stars.rate(card(1, 0, 0, 0), []).stars == 5  # only satisfaction known
    assert stars.rate(card(0, 0, 0, 0), []) == stars.Rating(0.0, 0)  # not rated
    assert "5 from 90 points" in stars.RULE.describe()


def test_excellent_ratio_and_ranks() -> None:
    ratings = [stars.Rating(95, 5), stars.Rating(85, 4), stars.Rating(0, 0)]
    assert stars.excellent_ratio(ratings) == 0.5
    assert stars.ranks([95.0, 85.0, 85.0, 70.0]) == [1, 2, 2, 4]


def test_points_per_minute_round_down_and_spending_must_be_positive() -> None:
    assert points_for(90, 10) == 15
    assert points_for(5, 10) == 0
    with pytest.raises(InvalidArgument):
        check_spending("v-1", 0, "gift")
