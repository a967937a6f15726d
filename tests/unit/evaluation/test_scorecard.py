"""Scorecard numbers from petition histories: each rate as its docstring defines it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gridplus.evaluation.domain.scorecard import (
    CITY,
    FollowUpFact,
    FollowUpOutcome,
    PetitionHistory,
    StatusChange,
    Subject,
    SubjectKind,
    WhistleSummons,
    Window,
    compute,
    percentile,
    rounds,
)

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
MARCH = Window(date(2025, 3, 1), date(2025, 4, 1))
CITY_SUBJECT = Subject(SubjectKind.CITY, CITY)
H = timedelta(hours=1)


def change(hours: float, from_status: str, to_status: str) -> StatusChange:
    return StatusChange(T0 + timedelta(hours=hours), from_status, to_status)


def answer(hours: float, outcome: FollowUpOutcome) -> FollowUpFact:
    return FollowUpFact(T0 + timedelta(hours=hours), outcome)


SATISFIED, UNSATISFIED, NO_RESPONSE = (
    FollowUpOutcome.SATISFIED,
    FollowUpOutcome.UNSATISFIED,
    FollowUpOutcome.NO_RESPONSE,
)

# Resolved after 4 h, rated 5.
HAPPY = PetitionHistory(
    "p-happy",
    submitted_at=T0,
    assigned_at=T0,
    verify_deadline=T0 + 2 * H,
    changes=(
        change(1, "ASSIGNED", "VERIFIED"),
        change(4, "VERIFIED", "RESOLVED"),
        change(5, "RESOLVED", "CLOSED"),
    ),
    follow_ups=(answer(5, SATISFIED),),
)
# Resolved after 2 h, rated 1, reopened, resolved again 10 h later (late), rated 4.
REWORKED = PetitionHistory(
    "p-rework",
    submitted_at=T0,
    assigned_at=T0,
    verify_deadline=T0 + 2 * H,
    changes=(
        change(3, "ASSIGNED", "VERIFIED"),  # responded after the verify deadline
        change(5, "VERIFIED", "RESOLVED"),
        change(6, "RESOLVED", "REOPENED"),
        change(16, "REOPENED", "RESOLVED"),
        change(17, "RESOLVED", "CLOSED"),
    ),
    follow_ups=(answer(6, UNSATISFIED), answer(17, SATISFIED)),
    overdues=(T0 + 12 * H,),
)
# Resolved, nobody answered.
SILENT = PetitionHistory(
    "p-silent",
    submitted_at=T0,
    assigned_at=T0,
    changes=(change(1, "ASSIGNED", "VERIFIED"), change(2, "VERIFIED", "RESOLVED")),
    follow_ups=(answer(2 + 24 * 7, NO_RESPONSE),),
)


def test_the_done_means_scenario_gives_each_rate_by_its_definition() -> None:
    card = compute(CITY_SUBJECT, MARCH, [HAPPY, REWORKED, SILENT])
    assert (card.submitted, card.assigned, card.responded_on_time) == (3, 3, 2)
    assert card.response_rate == pytest.approx(2 / 3)
    assert (card.resolved, card.on_time) == (4, 3)  # the rework's second round was overdue
    assert card.on_time_rate == 0.75
    assert (card.satisfied, card.unsatisfied, card.no_response) == (2, 1, 1)
    assert card.satisfaction_rate == pytest.approx(2 / 3)  # every answer counts
    assert (card.answered_petitions, card.solved) == (2, 2)  # both ended satisfied
    assert card.resolution_rate == 1.0
    assert (card.reopened, card.reopen_rate) == (1, 0.25)
    assert card.closed == 2
    assert card.overdue == 1
    # Handling: 4 h, 5 h, 10 h (from the reopening), 2 h.
    assert sorted(card.handling_seconds) == [7200.0, 14400.0, 18000.0, 36000.0]
    assert card.average_handling_seconds == 18900.0
    assert card.p90_handling_seconds == 36000.0


def test_a_petition_unsatisfied_in_the_period_is_not_solved() -> None:
    pending = PetitionHistory(
        "p",
        assigned_at=T0,
        changes=(change(1, "ASSIGNED", "RESOLVED"), change(2, "RESOLVED", "REOPENED")),
        follow_ups=(answer(2, UNSATISFIED),),
    )
    card = compute(CITY_SUBJECT, MARCH, [pending, HAPPY])
    assert (card.answered_petitions, card.solved, card.resolution_rate) == (2, 1, 0.5)


def test_the_window_selects_facts_by_their_own_time() -> None:
    day = Window(date(2025, 3, 4), date(2025, 3, 5))
    card = compute(CITY_SUBJECT, day, [REWORKED])
    # The second resolution (at 01:00 on the 5th) and its answer fall outside.
    assert (card.resolved, card.satisfied, card.unsatisfied) == (1, 0, 1)
    later = compute(CITY_SUBJECT, Window(date(2025, 3, 5), date(2025, 3, 6)), [REWORKED])
    assert (later.assigned, later.resolved, later.satisfied) == (0, 1, 1)


def test_merged_duplicates_leave_the_response_cohort() -> None:
    duplicate = PetitionHistory("d", submitted_at=T0, assigned_at=T0, merged=True)
    card = compute(CITY_SUBJECT, MARCH, [duplicate])
    assert (card.submitted, card.assigned) == (1, 0)


def test_empty_denominators_give_zero_rates() -> None:
    card = compute(CITY_SUBJECT, MARCH, [])
    rates = (card.response_rate, card.on_time_rate, card.resolution_rate, card.satisfaction_rate)
    assert rates == (0.0, 0.0, 0.0, 0.0)
    assert (card.average_handling_seconds, card.p90_handling_seconds) == (0.0, 0.0)


def test_whistle_report_rate_counts_summons_of_whistles_blown_in_the_period() -> None:
    summons = [
        WhistleSummons(T0, True),
        WhistleSummons(T0, False),
        WhistleSummons(T0 - timedelta(days=30), True),
    ]
    card = compute(CITY_SUBJECT, MARCH, [], summons)
    assert (card.whistle_summoned, card.whistle_reported_on_time) == (2, 1)
    assert card.whistle_report_rate == 0.5


def test_rounds_start_at_assignment_then_at_each_reopening() -> None:
    found = rounds(REWORKED)
    assert [(r.started_at, r.reopened, r.on_time) for r in found] == [
        (T0, True, True),
        (T0 + 6 * H, False, False),
    ]


def test_percentile_is_nearest_rank() -> None:
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([], 0.9) == 0.0
