"""Stars (评星公示): 1-5 stars from a subject's scorecard and assessments, by a public rule.

The rule is data (RULE below) and `describe` renders it, so what GetStarRule shows is exactly
what `rate` applies. Points are a weighted mean over the parts a subject has data for, so a
subject without households (a department, a worker who made no visits) or without care visits
due is not penalised: the other parts' weights are renormalised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gridplus.evaluation.domain.scorecard import Scorecard

EXCELLENT_STARS = 5


@dataclass(frozen=True)
class StarRule:
    satisfaction_weight: float = 40.0
    on_time_weight: float = 30.0
    assessment_weight: float = 30.0
    coverage_weight: float = 20.0
    care_weight: float = 20.0
    # Minimum points for 5, 4, 3 and 2 stars; anything lower is 1 star.
    thresholds: tuple[float, float, float, float] = (90.0, 80.0, 70.0, 60.0)

    def describe(self) -> str:
        five, four, three, two = self.thresholds
        return (
            "Points (0-100) are the weighted mean of the parts the period has data for: "
            f"satisfaction rate x100 (weight {self.satisfaction_weight:g}, needs at least one "
            f"answered follow-up), on-time rate x100 (weight {self.on_time_weight:g}, needs at "
            f"least one resolution), the mean assessment score (weight "
            f"{self.assessment_weight:g}, needs at least one assessment), visit coverage x100 "
            f"(weight {self.coverage_weight:g}, needs at least one household) and the care-visit "
            f"on-time rate x100 (weight {self.care_weight:g}, needs at least one care visit "
            "due). A part without data is left out and the remaining weights are renormalised, "
            "so a subject without households or care visits is not penalised. Stars: "
            f"5 from {five:g} points, 4 from {four:g}, 3 from {three:g}, 2 from {two:g}, "
            "otherwise 1; no data at all = not rated (0). 5 stars count as excellent."
        )


RULE = StarRule()


@dataclass(frozen=True)
class Rating:
    points: float
    stars: int


def rate(card: Scorecard, assessment_scores: Sequence[float], rule: StarRule = RULE) -> Rating:
    parts: list[tuple[float, float]] = []
    if card.satisfied + card.unsatisfied:
        parts.append((card.satisfaction_rate * 100, rule.satisfaction_weight))
    if card.resolved:
        parts.append((card.on_time_rate * 100, rule.on_time_weight))
    if assessment_scores:
        mean = sum(assessment_scores) / len(assessment_scores)
        parts.append((mean, rule.assessment_weight))
    if card.households:
        parts.append((card.visit_coverage * 100, rule.coverage_weight))
    if card.care_visits_due:
        parts.append((card.care_visit_on_time_rate * 100, rule.care_weight))
    weight = sum(w for _, w in parts)
    if not parts or weight <= 0:
        return Rating(points=0.0, stars=0)
    points = round(sum(v * w for v, w in parts) / weight, 2)
    return Rating(points=points, stars=stars_for(points, rule))


def stars_for(points: float, rule: StarRule = RULE) -> int:
    for stars, minimum in zip((5, 4, 3, 2), rule.thresholds, strict=True):
        if points >= minimum:
            return stars
    return 1


def excellent_ratio(ratings: Sequence[Rating]) -> float:
    rated = [r for r in ratings if r.stars]
    if not rated:
        return 0.0
    return sum(1 for r in rated if r.stars >= EXCELLENT_STARS) / len(rated)


def ranks(points: Sequence[float]) -> list[int]:
    """Competition ranks (1, 2, 2, 4) for points sorted best first."""
    result: list[int] = []
    for index, value in enumerate(points):
        if index and value == points[index - 1]:
            result.append(result[-1])
        else:
            result.append(index + 1)
    return result
