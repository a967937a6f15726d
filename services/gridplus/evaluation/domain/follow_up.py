"""Follow-up (回访) of a RESOLVED petition: the resident's rating decides whether it closes.

Rule: a rating of `satisfied_min_rating` or more (default 4, set by
GRIDPLUS_EVALUATION_SATISFIED_MIN_RATING)
is SATISFIED and the petition closes; a lower rating is UNSATISFIED and it reopens. A follow-up
nobody answers within GRIDPLUS_EVALUATION_FOLLOW_UP_DAYS of the resolution ends NO_RESPONSE:
the petition closes but counts in no rate (see scorecard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gridplus.evaluation.domain.scorecard import FollowUpOutcome
from gridplus.kit.errors import FailedPrecondition, FieldViolation, InvalidArgument

MAX_COMMENT = 500
TIMEOUT_ACTOR = "evaluation"


class Via(StrEnum):
    RATING = "rating"  # the resident rated it
    VISIT = "visit"  # a grid worker recorded a visit with the resident's answer
    TIMEOUT = "timeout"  # nobody answered in time


@dataclass(frozen=True)
class FollowUpPolicy:
    satisfied_min_rating: int = 4
    days: int = 7

    def outcome(self, rating: int) -> FollowUpOutcome:
        if rating >= self.satisfied_min_rating:
            return FollowUpOutcome.SATISFIED
        return FollowUpOutcome.UNSATISFIED

    def due_at(self, resolved_at: datetime) -> datetime:
        return resolved_at + timedelta(days=self.days)


@dataclass(frozen=True)
class FollowUpState:
    """Whether a petition awaits its follow-up: its latest status is RESOLVED and no follow-up
    completed since (a completed one waits for the petition service to close or reopen)."""

    status: str
    status_at: datetime | None
    last_follow_up_at: datetime | None

    @property
    def pending(self) -> bool:
        if self.status != "RESOLVED" or self.status_at is None:
            return False
        return self.last_follow_up_at is None or self.last_follow_up_at < self.status_at


def check_answer(rating: int, comment: str) -> None:
    violations = []
    if not 1 <= rating <= 5:
        violations.append(FieldViolation("rating", "must be 1 to 5"))
    if len(comment) > MAX_COMMENT:
        violations.append(FieldViolation("comment", f"at most {MAX_COMMENT} characters"))
    if violations:
        raise InvalidArgument(violations)


def require_pending(state: FollowUpState) -> None:
    if not state.pending:
        raise FailedPrecondition("the petition is not awaiting a follow-up (it must be RESOLVED)")
