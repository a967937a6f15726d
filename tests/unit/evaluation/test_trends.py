"""The rising rule (domain/trends.py): a planted rise in one grid's category over synthetic
weeks is flagged, a flat one is not, and over 1,000 flat Poisson series the rule flags about
alpha of them (printed)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from gridplus.evaluation.domain.hotspots import PetitionPoint, hot_spots, periods_ending
from gridplus.evaluation.domain.periods import PeriodKind
from gridplus.evaluation.domain.trends import Direction, RisingRule, judge, mid_p_value

RULE = RisingRule(baseline=8, alpha=0.01)
WEEKS = periods_ending(PeriodKind.WEEK, date(2025, 3, 5), RULE.baseline + 1)


def poisson(rng: random.Random, rate: float) -> int:
    """Knuth's method: enough for the small rates used here, and no numpy in the test."""
    limit, count, product = pow(2.718281828459045, -rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def petitions(grid: str, category: str, weekly: list[int], prefix: str) -> list[PetitionPoint]:
    points = []
    for week, count in zip(WEEKS, weekly, strict=True):
        monday = datetime.combine(week.start, datetime.min.time(), UTC)
        for n in range(count):
            points.append(
                PetitionPoint(
                    petition_id=f"{prefix}-{week.start}-{n}",
                    latitude=40.7,
                    longitude=-73.9,
                    category=category,
                    grid_path=("MN", grid, f"{grid}01"),
                    submitted_at=monday + timedelta(hours=7 * n % 160),
                    status="CLOSED",
                )
            )
    return points


def test_a_planted_rise_in_one_grids_category_is_flagged_and_the_flat_ones_are_not() -> None:
    rng = random.Random(16)
    flat_noise = [poisson(rng, 6) for _ in WEEKS]
    flat_potholes = [poisson(rng, 6) for _ in WEEKS]
    risen = [poisson(rng, 6) for _ in WEEKS[:-1]] + [19]  # the same rate, then three times it
    points = (
        petitions("MN01", "noise", flat_noise, "a")
        + petitions("MN01", "pothole", flat_potholes, "b")
        + petitions("MN02", "noise", risen, "c")
    )
    spots = hot_spots(points, WEEKS, RULE, grid_level=2)
    by_key = {(s.grid_code, s.category): s.trend for s in spots}
    print(f"\nrisen {risen}: p = {by_key[('MN02', 'noise')].p_value:.2e}")
    assert by_key[("MN02", "noise")].rising
    assert spots[0].grid_code == "MN02" and spots[0].category == "noise"
    assert not by_key[("MN01", "noise")].rising
    assert not by_key[("MN01", "pothole")].rising
    assert by_key[("MN02", "noise")].counts == tuple(risen)
    # Level 1 adds the grids up; the level-3 grid is the deepest; `within` keeps a subtree.
    assert {s.grid_code for s in hot_spots(points, WEEKS, RULE, grid_level=1)} == {"MN"}
    inside = hot_spots(points, WEEKS, RULE, grid_level=3, within="MN01")
    assert {s.grid_code for s in inside} == {"MN0101"}


@pytest.mark.parametrize("rate", [2.0, 10.0])
def test_over_1000_flat_poisson_series_about_alpha_are_flagged(rate: float) -> None:
    rng = random.Random(int(rate * 1000))
    trials = 1000
    flagged = sum(
        judge([poisson(rng, rate) for _ in range(RULE.baseline + 1)], RULE).rising
        for _ in range(trials)
    )
    share = flagged / trials
    print(f"\nflat Poisson({rate}) x {trials}: {flagged} flagged ({share:.3f}), alpha {RULE.alpha}")
    # Near alpha: within three binomial standard errors of it (0.01 +- 0.0094), never zero
    # everywhere (a rule that never fires would pass a bare upper bound).
    assert abs(share - RULE.alpha) <= 3 * (RULE.alpha * (1 - RULE.alpha) / trials) ** 0.5
    assert flagged >= 1


def test_the_rule_fires_on_a_rise_above_the_baseline_only() -> None:
    # A fall is never rising, however surprising; an empty past needs a few petitions.
    assert not judge([9, 9, 9, 9, 9, 9, 9, 9, 0], RULE).rising
    assert not judge([0] * 8 + [1], RULE).rising
    assert judge([0] * 8 + [4], RULE).rising
    trend = judge([3, 4, 5, 3, 4, 5, 3, 4, 9], RULE)
    assert trend.baseline_mean == pytest.approx(3.875)
    assert trend.direction is Direction.UP and trend.previous == 4
    # The mid-p value by hand: T = 1, share 1/2: P(X > 1) + P(X = 1)/2 = 1/4.
    assert mid_p_value(1, [0]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="expected 9 counts"):
        judge([1, 2], RULE)
    with pytest.raises(ValueError, match="alpha"):
        RisingRule(alpha=1.5)
