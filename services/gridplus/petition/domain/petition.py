"""The Petition aggregate: every change goes through a method that checks the lifecycle, changes
state, appends a history entry and records the event it causes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.petition.domain.events import DomainEvent, PetitionStatusChanged, PetitionSubmitted
from gridplus.petition.domain.lifecycle import Status, TransitionRefused, may_move
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import Actor, GeoPoint, GridRef, Source


@dataclass(frozen=True)
class HistoryEntry:
    from_status: Status | None  # None for the submission itself
    to_status: Status
    actor: Actor
    note: str
    at: datetime


@dataclass(eq=False)
class Petition:
    id: str
    status: Status
    title: str
    description: str
    category: str | None  # None until the reporter or dispatch chooses one
    location: GeoPoint
    reporter: Actor
    source: Source
    created_at: datetime
    updated_at: datetime
    grid: GridRef | None = None
    assignee_id: str | None = None
    deadline: datetime | None = None  # of the current step; None when no clock runs
    reject_reason: str | None = None
    duplicate_of: str | None = None
    # Recorded since the petition was loaded; the repository stores them, the outbox sends them.
    new_history: list[HistoryEntry] = field(default_factory=list, repr=False)
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def submit(
        cls,
        *,
        petition_id: str,
        submission: Submission,
        reporter: Actor,
        source: Source,
        at: datetime,
    ) -> Petition:
        _require_aware("at", at)
        petition = cls(
            id=petition_id,
            status=Status.SUBMITTED,
            title=submission.title,
            description=submission.description,
            category=submission.category,
            location=submission.location,
            reporter=reporter,
            source=source,
            created_at=at,
            updated_at=at,
        )
        petition.new_history.append(HistoryEntry(None, Status.SUBMITTED, reporter, "", at))
        petition.events.append(
            PetitionSubmitted(
                petition_id=petition_id,
                title=submission.title,
                description=submission.description,
                category=submission.category,
                location=submission.location,
                reporter_id=reporter.id,
                source=source,
                at=at,
            )
        )
        return petition

    def may_become(self, target: Status) -> bool:
        return may_move(self.status, target)

    def assign(
        self,
        *,
        grid: GridRef,
        assignee_id: str,
        deadline: datetime,
        category: str | None,
        actor: Actor,
        at: datetime,
        note: str = "",
    ) -> None:
        """Routed to a level-3 grid and a worker; the verify clock runs until `deadline`."""
        self._require(Status.ASSIGNED)
        _check(
            ("grid", "code and path are required" if not (grid.code and grid.path) else None),
            ("assignee_id", "is required" if not assignee_id else None),
            ("deadline", _aware_problem(deadline)),
        )
        self.grid = grid
        self.assignee_id = assignee_id
        self.deadline = deadline
        self.category = category or self.category
        self._move(Status.ASSIGNED, actor, at, note)

    def reject(self, *, reason: str, actor: Actor, at: datetime) -> None:
        """Invalid, or out of jurisdiction; the reason is shown to the reporter."""
        self._require(Status.REJECTED)
        _check(("reason", "is required" if not reason.strip() else None))
        self.reject_reason = reason.strip()
        self.deadline = None
        self._move(Status.REJECTED, actor, at, self.reject_reason)

    def mark_duplicate(self, *, survivor_id: str, actor: Actor, at: datetime) -> None:
        """Merged into `survivor_id`; its reporter follows the survivor from now on."""
        self._require(Status.DUPLICATE)
        problem = "is required" if not survivor_id else None
        if survivor_id == self.id:
            problem = "must be another petition"
        _check(("survivor_id", problem))
        self.duplicate_of = survivor_id
        self.deadline = None
        self._move(Status.DUPLICATE, actor, at, f"merged into {survivor_id}")

    def verify(
        self,
        *,
        actor: Actor,
        at: datetime,
        category: str | None = None,
        deadline: datetime | None = None,
        note: str = "",
    ) -> None:
        """Category and handler confirmed (again, after a reopen); the handling clock runs."""
        self._require(Status.VERIFIED)
        _check(("deadline", _aware_problem(deadline) if deadline is not None else None))
        self.category = category or self.category
        self.deadline = deadline
        self._move(Status.VERIFIED, actor, at, note)

    def resolve(self, *, note: str, actor: Actor, at: datetime) -> None:
        """The handler reports it done; it is solved only once the follow-up confirms it."""
        self._require(Status.RESOLVED)
        _check(("note", "is required: say what was done" if not note.strip() else None))
        self.deadline = None
        self._move(Status.RESOLVED, actor, at, note.strip())

    def close(self, *, actor: Actor, at: datetime, note: str = "") -> None:
        """Follow-up satisfied, or no answer in time."""
        self._require(Status.CLOSED)
        self._move(Status.CLOSED, actor, at, note)

    def reopen(self, *, actor: Actor, at: datetime, note: str = "") -> None:
        """Follow-up unsatisfied: back to verification, with a new clock set on verify."""
        self._require(Status.REOPENED)
        self.deadline = None
        self._move(Status.REOPENED, actor, at, note)

    def _require(self, target: Status) -> None:
        if not self.may_become(target):
            raise TransitionRefused(self.id, self.status, target)

    def _move(self, target: Status, actor: Actor, at: datetime, note: str) -> None:
        _require_aware("at", at)
        previous = self.status
        self.status = target
        self.updated_at = at
        self.new_history.append(HistoryEntry(previous, target, actor, note, at))
        self.events.append(PetitionStatusChanged(self.id, previous, target, actor, note, at))


def _check(*checks: tuple[str, str | None]) -> None:
    violations = [FieldViolation(name, problem) for name, problem in checks if problem]
    if violations:
        raise InvalidArgument(violations)


def _aware_problem(instant: datetime) -> str | None:
    return None if instant.tzinfo is not None else "must carry a UTC offset"


def _require_aware(name: str, instant: datetime) -> None:
    _check((name, _aware_problem(instant)))
