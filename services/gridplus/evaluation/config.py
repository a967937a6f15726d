"""Settings evaluation adds to the kit's ServiceSettings (GRIDPLUS_EVALUATION_*)."""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.evaluation.domain.assessment import AssessmentWeights
from gridplus.evaluation.domain.follow_up import FollowUpPolicy
from gridplus.kit.config import ConfigError, Env


@dataclass(frozen=True)
class EvaluationSettings:
    follow_up: FollowUpPolicy
    follow_up_scan_seconds: float
    weights: AssessmentWeights
    points_per_hour: int
    gauges_seconds: float
    digest_scan_seconds: float
    digest_delay_minutes: int

    @classmethod
    def from_env(cls, env: Env) -> EvaluationSettings:
        raw_weights = env.text(
            "GRIDPLUS_EVALUATION_ASSESSMENT_WEIGHTS", "listen=25,evaluate=25,look=25,discuss=25"
        )
        try:
            weights = AssessmentWeights.parse(raw_weights)
        except ValueError as exc:
            raise ConfigError(f"GRIDPLUS_EVALUATION_ASSESSMENT_WEIGHTS: {exc}") from None
        return cls(
            follow_up=FollowUpPolicy(
                satisfied_min_rating=env.integer(
                    "GRIDPLUS_EVALUATION_SATISFIED_MIN_RATING", 4, minimum=1, maximum=5
                ),
                days=env.integer("GRIDPLUS_EVALUATION_FOLLOW_UP_DAYS", 7, minimum=1),
            ),
            follow_up_scan_seconds=env.number(
                "GRIDPLUS_EVALUATION_FOLLOW_UP_SCAN_SECONDS", 60.0, minimum=1.0
            ),
            weights=weights,
            points_per_hour=env.integer("GRIDPLUS_EVALUATION_POINTS_PER_HOUR", 10, minimum=1),
            gauges_seconds=env.number("GRIDPLUS_EVALUATION_GAUGES_SECONDS", 60.0, minimum=1.0),
            # How often the weekly digest job looks whether a week has ended.
            digest_scan_seconds=env.number(
                "GRIDPLUS_EVALUATION_DIGEST_SCAN_SECONDS", 300.0, minimum=1.0
            ),
            # How long after a week's end its digests wait for events still in flight.
            digest_delay_minutes=env.integer(
                "GRIDPLUS_EVALUATION_DIGEST_DELAY_MINUTES", 60, minimum=0
            ),
        )
