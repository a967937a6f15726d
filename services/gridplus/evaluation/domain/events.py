"""Facts evaluation records as it works (cosmic style: the aggregate collects them in `events`;
the handler writes them to the outbox in the same transaction, converted to protobuf once in
api/convert.py). They carry ids and numbers, never a comment or a note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gridplus.evaluation.domain.scorecard import FollowUpOutcome


class Via(StrEnum):
    """How a follow-up ended."""

    RATING = "rating"  # the resident rated it
    VISIT = "visit"  # a grid worker recorded a visit with the resident's answer
    TIMEOUT = "timeout"  # nobody answered in time


@dataclass(frozen=True)
class FollowUpCompleted:
    petition_id: str
    outcome: FollowUpOutcome
    rating: int  # 0 when nobody answered
    via: Via
    actor_id: str
    at: datetime


@dataclass(frozen=True)
class AssessmentRecorded:
    assessment_id: str
    worker_id: str
    grid_code: str
    inspector_id: str
    score: float
    secret: bool
    at: datetime


DomainEvent = FollowUpCompleted | AssessmentRecorded
