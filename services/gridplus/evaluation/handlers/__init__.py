"""Evaluation's use cases that change state: follow-up answers and timeouts, assessments and
the time bank. Each takes the caller's session (one unit of work) and writes its events to the
outbox in the same transaction."""

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
]
