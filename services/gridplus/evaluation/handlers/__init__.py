"""Evaluation's use cases: follow-up answers and timeouts, assessments and the time bank (each
writes its events to the outbox in the same transaction), and the read side (scorecards,
rankings)."""

from gridplus.evaluation.handlers import scorecards
from gridplus.evaluation.handlers.assessments import Assessments
from gridplus.evaluation.handlers.follow_up import (
    OUTCOME_FROM_PROTO,
    OUTCOME_TO_PROTO,
    Answer,
    FollowUps,
    FollowUpView,
)
from gridplus.evaluation.handlers.time_bank import TimeBank

__all__ = [
    "OUTCOME_FROM_PROTO",
    "OUTCOME_TO_PROTO",
    "Answer",
    "Assessments",
    "FollowUpView",
    "FollowUps",
    "TimeBank",
    "scorecards",
]
