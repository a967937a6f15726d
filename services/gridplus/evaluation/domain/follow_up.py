"""Follow-up (回访) of a RESOLVED petition: the resident's rating decides whether it closes.

Rule: a rating of `satisfied_min_rating` or more (default 4, set by
GRIDPLUS_EVALUATION_SATISFIED_MIN_RATING)
is SATISFIED and the petition closes; a lower rating is UNSATISFIED and it reopens. A follow-up
nobody answers within GRIDPLUS_EVALUATION_FOLLOW_UP_DAYS of the resolution ends NO_RESPONSE:
the petition closes but counts in no rate (see scorecard).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gridplus.evaluation.domain.events import FollowUpCompleted, Via
from gridplus.evaluation.domain.scorecard import FollowUpOutcome
from gridplus.kit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from gridplus.kit.roles import Principal, Role

MAX_COMMENT = 500
TIMEOUT_ACTOR = "evaluation"

__all__ = [
    "MAX_COMMENT",
    "TIMEOUT_ACTOR",
    "Answer",
    "FollowUp",
    "FollowUpPolicy",
    "FollowUpState",
    "Via",
    "check_answer",
    "rating_resident",
    "require_pending",
    "unknown",
]


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


@dataclass(frozen=True)
class Answer:
    """A completed follow-up as its readers see it (the comment stays in evaluation)."""

    id: str  # the FollowUpCompleted event's id
    petition_id: str
    outcome: FollowUpOutcome
    rating: int
    comment: str
    via: str
    actor_id: str
    completed_at: datetime


def unknown(petition_id: str) -> NotFound:
    return NotFound(f"petition {petition_id} is not known to evaluation")


@dataclass
class FollowUp:
    """A petition as its follow-up sees it; answering or expiring it records FollowUpCompleted
    in `events` (the handler publishes them)."""

    petition_id: str
    state: FollowUpState
    reporter_ids: frozenset[str]  # its reporter and those of duplicates merged into it
    worker_id: str | None
    grid_codes: frozenset[str]  # the grids on its path
    events: list[FollowUpCompleted] = field(default_factory=list)
    department_code: str | None = None  # the department holding it now

    def not_found(self) -> NotFound:
        """The answer for a follow-up outside the caller's scope: the one for an unknown
        petition, word for word, so ids cannot be probed (OWASP API1)."""
        return unknown(self.petition_id)

    def check_reporter(self, resident_id: str) -> None:
        """Only a resident who reported it (or a duplicate merged into it) rates it."""
        if resident_id not in self.reporter_ids:
            raise self.not_found()

    def check_grid_staff(self, principal: Principal) -> None:
        """The petition's worker, staff whose token grids hold its grid, or an admin."""
        if principal.role is Role.ADMIN or principal.subject == self.worker_id:
            return
        if self.grid_codes & set(principal.grid_codes):
            return
        raise self.not_found()

    def answer(
        self,
        policy: FollowUpPolicy,
        *,
        rating: int,
        comment: str,
        via: Via,
        actor_id: str,
        at: datetime,
    ) -> FollowUpCompleted:
        """The resident's answer (rated, or told a visiting worker) decides the outcome."""
        check_answer(rating, comment)
        require_pending(self.state)
        return self._complete(policy.outcome(rating), rating, via, actor_id, at)

    def expire(self, at: datetime) -> FollowUpCompleted:
        """Nobody answered in time: NO_RESPONSE, counted in no rate."""
        require_pending(self.state)
        return self._complete(FollowUpOutcome.NO_RESPONSE, 0, Via.TIMEOUT, TIMEOUT_ACTOR, at)

    def _complete(
        self, outcome: FollowUpOutcome, rating: int, via: Via, actor_id: str, at: datetime
    ) -> FollowUpCompleted:
        event = FollowUpCompleted(self.petition_id, outcome, rating, via, actor_id, at)
        self.events.append(event)
        self.state = FollowUpState(self.state.status, self.state.status_at, at)
        return event


def rating_resident(principal: Principal, resident_id: str) -> Principal:
    """The resident rating: the caller, or the one the petition service (service role) has
    authenticated and names in resident_id."""
    if principal.role is Role.SERVICE:
        if not resident_id:
            raise InvalidArgument.single("resident_id", "required when a service rates")
        return Principal(resident_id, Role.RESIDENT)
    if principal.role is not Role.RESIDENT or resident_id not in ("", principal.subject):
        raise PermissionDenied("only the resident who reported it may rate a petition")
    return principal
