"""Assessments (测评, 听评看议): an inspector scores a grid worker on four aspects, openly (明察)
or by a secret visit (暗访); the total is a weighted mean with configurable weights."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gridplus.evaluation.domain.events import AssessmentRecorded
from gridplus.kit.errors import FieldViolation, InvalidArgument

ASPECTS = ("listen", "evaluate", "look", "discuss")
MAX_NOTE = 1000


@dataclass(frozen=True)
class AssessmentWeights:
    listen: float = 0.25
    evaluate: float = 0.25
    look: float = 0.25
    discuss: float = 0.25

    @classmethod
    def parse(cls, text: str) -> AssessmentWeights:
        """'listen=30,evaluate=30,look=20,discuss=20' -> weights normalised to sum 1."""
        values: dict[str, float] = {}
        for part in text.split(","):
            name, _, raw = part.partition("=")
            name = name.strip()
            if name not in ASPECTS:
                raise ValueError(f"unknown aspect {name!r}; use {', '.join(ASPECTS)}")
            try:
                values[name] = float(raw)
            except ValueError:
                raise ValueError(f"weight of {name} is not a number: {raw!r}") from None
            if values[name] < 0:
                raise ValueError(f"weight of {name} is negative")
        missing = [a for a in ASPECTS if a not in values]
        if missing:
            raise ValueError(f"missing weights for {', '.join(missing)}")
        total = sum(values.values())
        if total <= 0:
            raise ValueError("weights must not all be zero")
        return cls(**{name: value / total for name, value in values.items()})

    def describe(self) -> str:
        return ", ".join(f"{a} {getattr(self, a):.0%}" for a in ASPECTS)


@dataclass(frozen=True)
class AssessmentScores:
    listen: float
    evaluate: float
    look: float
    discuss: float

    def weighted(self, weights: AssessmentWeights) -> float:
        total = sum(getattr(self, a) * getattr(weights, a) for a in ASPECTS)
        return round(total, 2)


def check_assessment(worker_id: str, grid_code: str, scores: AssessmentScores, note: str) -> None:
    violations = []
    if not worker_id:
        violations.append(FieldViolation("worker_id", "required"))
    if not grid_code:
        violations.append(FieldViolation("grid_code", "required"))
    for aspect in ASPECTS:
        value = getattr(scores, aspect)
        if not 0 <= value <= 100:
            violations.append(FieldViolation(f"{aspect}_score", "must be 0 to 100"))
    if len(note) > MAX_NOTE:
        violations.append(FieldViolation("note", f"at most {MAX_NOTE} characters"))
    if violations:
        raise InvalidArgument(violations)


@dataclass(frozen=True)
class Assessment:
    """One inspector's assessment of a worker; recording it records AssessmentRecorded, which
    tells notification to inform the worker and the grid chief."""

    id: str
    worker_id: str
    grid_code: str
    inspector_id: str
    scores: AssessmentScores
    score: float  # the weighted total
    secret: bool
    note: str
    at: datetime
    events: list[AssessmentRecorded] = field(default_factory=list, compare=False)

    @classmethod
    def record(
        cls,
        *,
        assessment_id: str,
        worker_id: str,
        grid_code: str,
        inspector_id: str,
        scores: AssessmentScores,
        weights: AssessmentWeights,
        secret: bool,
        note: str,
        at: datetime,
    ) -> Assessment:
        check_assessment(worker_id, grid_code, scores, note)
        score = scores.weighted(weights)
        assessment = cls(
            assessment_id, worker_id, grid_code, inspector_id, scores, score, secret, note, at
        )
        assessment.events.append(
            AssessmentRecorded(assessment_id, worker_id, grid_code, inspector_id, score, secret, at)
        )
        return assessment
