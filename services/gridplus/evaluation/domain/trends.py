"""Counts per grid and category over consecutive periods, their trend, and rising categories.

A series is the count of petitions submitted in one (grid, category) over `baseline + 1`
consecutive periods of equal kind (e.g. ISO weeks), the last one being the period asked about.

The rising rule (a statistical test, not a fixed threshold)
-----------------------------------------------------------
Model: each period's count is Poisson. Null hypothesis: the current period has the same rate as
each of the `baseline` previous periods. Conditioned on the total T = current + sum(previous),
the current count is then Binomial(T, 1 / (baseline + 1)) whatever the unknown rate is (the
classical conditional test for comparing Poisson counts), so no rate has to be estimated and an
empty history needs no special case.

The one-sided mid-p value p = P(X > k) + ½·P(X = k) for X ~ Binomial(T, 1 / (baseline + 1)) and
the observed current count k measures how surprising k is. A category is RISING when p < alpha
(default 0.01) and k is above the baseline mean. Mid-p (Lancaster) rather than P(X ≥ k) because
counts are discrete: the plain exact test flags flat series far less often than alpha says
(about half as often at small counts), mid-p keeps the false-positive rate near alpha. alpha is
per series: over m series about m·alpha flat ones are flagged in a period by chance.

The model assumes periods of equal length: exact for days and ISO weeks; calendar months differ
by up to three days (about 10%), which the rule does not correct for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


@dataclass(frozen=True)
class RisingRule:
    baseline: int = 8  # previous periods compared with the current one
    alpha: float = 0.01

    def __post_init__(self) -> None:
        if not 1 <= self.baseline <= 52:
            raise ValueError("baseline: between 1 and 52 periods")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha: between 0 and 1")

    def describe(self) -> str:
        return (
            f"rising: one-sided conditional binomial (Poisson) mid-p test of this period's count "
            f"against the previous {self.baseline} periods, p < {self.alpha:g}, above the mean"
        )


@dataclass(frozen=True)
class Trend:
    """One series judged: `counts` oldest first, the last one the current period."""

    counts: tuple[int, ...]
    baseline_mean: float
    p_value: float
    rising: bool

    @property
    def current(self) -> int:
        return self.counts[-1]

    @property
    def previous(self) -> int:
        return self.counts[-2] if len(self.counts) > 1 else 0

    @property
    def direction(self) -> Direction:
        """This period against the one before."""
        if self.current > self.previous:
            return Direction.UP
        if self.current < self.previous:
            return Direction.DOWN
        return Direction.FLAT

    @property
    def ratio(self) -> float:
        """Current count over the baseline mean; 0 when both are 0, inf for a first count."""
        if self.baseline_mean == 0:
            return 0.0 if self.current == 0 else math.inf
        return self.current / self.baseline_mean


def _binomial_pmf(k: int, n: int, p: float) -> float:
    log = (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )
    return math.exp(log)


def mid_p_value(current: int, previous: Sequence[int]) -> float:
    """One-sided mid-p value of `current` against `previous` (see the module docstring)."""
    if current < 0 or any(c < 0 for c in previous):
        raise ValueError("counts cannot be negative")
    if not previous:
        raise ValueError("at least one previous period is needed")
    total = current + sum(previous)
    if total == 0:
        return 1.0
    share = 1 / (len(previous) + 1)
    above = math.fsum(_binomial_pmf(i, total, share) for i in range(current + 1, total + 1))
    return min(1.0, above + 0.5 * _binomial_pmf(current, total, share))


def judge(counts: Sequence[int], rule: RisingRule) -> Trend:
    """The trend of one series; `counts` oldest first, exactly `rule.baseline + 1` of them."""
    if len(counts) != rule.baseline + 1:
        raise ValueError(f"expected {rule.baseline + 1} counts, got {len(counts)}")
    previous, current = list(counts[:-1]), counts[-1]
    mean = sum(previous) / len(previous)
    p = mid_p_value(current, previous)
    return Trend(tuple(counts), mean, p, rising=p < rule.alpha and current > mean)
