"""The Petition aggregate: every change goes through a method that checks the lifecycle, changes
state, appends a history entry and records the event it causes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gridplus.petition.domain.checks import (
    aware_problem,
    category_problem,
    check,
    checked_note,
    clean_note,
    require_aware,
)
from gridplus.petition.domain.clock import STEP_STATUSES
from gridplus.petition.domain.clock import Light as Light  # re-exported: part of a petition
from gridplus.petition.domain.clock import Step as Step
from gridplus.petition.domain.events import (
    DomainEvent,
    PetitionMerged,
    PetitionStatusChanged,
    PetitionSubmitted,
)
from gridplus.petition.domain.history import EntryKind as EntryKind  # re-exported
from gridplus.petition.domain.history import HistoryEntry as HistoryEntry
from gridplus.petition.domain.lifecycle import (
    FOLLOW_UP,
    FollowUpOutcome,
    Status,
    TransitionRefused,
    may_move,
)
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import (
    Actor,
    CategoryChoice,
    GeoPoint,
    GridRef,
    Publication,
    Source,
)


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
    category_choice: CategoryChoice | None = None  # as dispatch chose it
    department_code: str | None = None  # responsible department, from dispatch
    triage_reason: str | None = None  # set while the petition waits in manual triage
    verify_deadline: datetime | None = None
    handling_deadline: datetime | None = None
    clock_started_at: datetime | None = None  # when the current step's clock started
    # From dispatch's clock: when the light turns yellow (dispatch decides; None: not told, so
    # green until the deadline), when the clock was paused (the light stays as it was then),
    # and the last change applied (older ones are stale).
    yellow_at: datetime | None = None
    clock_paused_at: datetime | None = None
    deadline_changed_at: datetime | None = None
    resolution_note: str | None = None
    # Public details an Open311 client may send: an address, a link to its media, attributes.
    address: str | None = None
    media_url: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    # Whether the free text may be published on the public Open311 views.
    publication: Publication = Publication.PRIVATE
    visit_id: str | None = None  # the household visit whose finding raised it (source VISIT)
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
        require_aware("at", at)
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
            address=submission.address,
            media_url=submission.media_url,
            attributes=dict(submission.attributes),
            publication=Publication.REPORTER if submission.make_public else Publication.PRIVATE,
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
        yellow_at: datetime | None = None,
    ) -> None:
        """Routed to a level-3 grid and a worker; the verify clock runs until `deadline`, its
        light yellow from dispatch's `yellow_at`."""
        self._require(Status.ASSIGNED)
        check(
            ("grid", "code and path are required" if not (grid.code and grid.path) else None),
            ("assignee_id", "is required" if not assignee_id else None),
            ("deadline", aware_problem(deadline)),
            ("yellow_at", aware_problem(yellow_at) if yellow_at is not None else None),
        )
        self.grid = grid
        self.assignee_id = assignee_id
        self._start_clock(deadline, at)
        self.yellow_at = yellow_at
        self.verify_deadline = deadline
        self.category = category or self.category
        self.triage_reason = None
        self._move(Status.ASSIGNED, actor, at, note)

    def record_routing(self, *, choice: CategoryChoice | None, department_code: str | None) -> None:
        """What dispatch decided besides the assignment: the category and the department."""
        if choice is not None and choice.code:
            self.category_choice = choice
            self.category = choice.code
        if department_code:
            self.department_code = department_code

    def send_to_triage(
        self, *, reason: str, best_guess: CategoryChoice | None, actor: Actor, at: datetime
    ) -> None:
        """The classifier was not sure: the petition waits in the manual triage queue (its
        status stays; the wait is shown on the petition and kept in its history)."""
        reason = reason or "waiting for manual triage"
        if best_guess is not None and best_guess.code:
            guess = best_guess.name_en or best_guess.name_zh or best_guess.code
            reason += f" (best guess {guess}, confidence {best_guess.confidence:.2f})"
        self.triage_reason = reason
        self.updated_at = at
        self._note(f"sent to manual triage: {self.triage_reason}", actor, at)

    def transfer(
        self,
        *,
        assignee_id: str,
        department_code: str | None,
        note: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Another handler takes over; the status and the clock stay as they are."""
        if assignee_id:
            self.assignee_id = assignee_id
        if department_code:
            self.department_code = department_code
        self.updated_at = at
        self._note(f"transferred to {assignee_id or department_code}: {note}".strip(), actor, at)

    def add_note(self, *, note: str, actor: Actor, at: datetime) -> None:
        note = clean_note(note, required=True)
        self.updated_at = at
        self._note(note, actor, at)

    def set_publication(self, *, publish: bool, note: str, actor: Actor, at: datetime) -> None:
        """Staff approve publishing the free text, or withhold it whatever the reporter chose
        (e.g. it names a neighbour). Any status; a NOTE entry records who and why."""
        note = clean_note(note, required=False)
        self.publication = Publication.STAFF_APPROVED if publish else Publication.STAFF_WITHHELD
        self.updated_at = at
        what = "published" if publish else "withheld from publication"
        self._note(f"{what}: {note}" if note else what, actor, at)

    @property
    def paused(self) -> bool:
        """True while dispatch has paused the current step's clock (waiting for the resident)."""
        return self.deadline is not None and self.clock_paused_at is not None

    def light(self, now: datetime) -> Light | None:
        """The light of the current step, as dispatch set its instants: red from the deadline,
        yellow from `yellow_at`; None when no clock runs. A paused clock shows the light it had
        when it stopped."""
        if self.deadline is None:
            return None
        at = self.clock_paused_at or now
        if at >= self.deadline:
            return Light.RED
        if self.yellow_at is not None and at >= self.yellow_at:
            return Light.YELLOW
        return Light.GREEN

    def record_deadline(
        self,
        *,
        step: Step,
        deadline: datetime,
        yellow_at: datetime | None,
        paused: bool,
        changed_at: datetime,
        reason: str,
        actor: Actor,
    ) -> bool:
        """Dispatch moved the current step's deadline (handle clock started or restarted, clock
        paused or resumed). Returns False when ignored: the petition is not in that step any
        more, or the change is older than the last one applied (a status change here counts)."""
        check(
            ("deadline", aware_problem(deadline)),
            ("yellow_at", aware_problem(yellow_at) if yellow_at is not None else None),
            ("changed_at", aware_problem(changed_at)),
        )
        if self.status not in STEP_STATUSES[step]:
            return False
        if self.deadline_changed_at is not None and changed_at < self.deadline_changed_at:
            return False
        self.deadline = deadline
        self.yellow_at = yellow_at
        self.clock_paused_at = changed_at if paused else None
        self.deadline_changed_at = changed_at
        if step is Step.VERIFY:
            self.verify_deadline = deadline
        else:
            self.handling_deadline = deadline
        self.updated_at = max(self.updated_at, changed_at)
        state = " (clock paused)" if paused else ""
        note = f"{step.value} deadline {deadline.isoformat()}{state}: {reason}".strip()
        self._note(note.rstrip(":"), actor, changed_at)
        return True

    def reject(self, *, reason: str, actor: Actor, at: datetime) -> None:
        """Invalid, or out of jurisdiction; the reason is shown to the reporter."""
        self._require(Status.REJECTED)
        self.reject_reason = clean_note(reason, required=True, field="reason")
        self._stop_clock()
        self._move(Status.REJECTED, actor, at, self.reject_reason)

    def mark_duplicate(self, *, survivor_id: str, actor: Actor, at: datetime) -> None:
        """Merged into `survivor_id`; its reporter follows the survivor from now on."""
        self._require(Status.DUPLICATE)
        problem = "is required" if not survivor_id else None
        if survivor_id == self.id:
            problem = "must be another petition"
        check(("survivor_id", problem))
        self.duplicate_of = survivor_id
        self._stop_clock()
        self._move(Status.DUPLICATE, actor, at, f"merged into {survivor_id}")
        self.events.append(PetitionMerged(self.id, survivor_id, actor, at))

    def verify(
        self,
        *,
        actor: Actor,
        at: datetime,
        category: str | None = None,
        deadline: datetime | None = None,
        note: str = "",
    ) -> None:
        """Category and handler confirmed (again, after a reopen); the handling clock runs until
        `deadline` (set here by staff, or left open for dispatch's SLA rules)."""
        self._require(Status.VERIFIED)
        deadline_problem = None
        if deadline is not None:
            deadline_problem = aware_problem(deadline) or (
                "must be after the verification time" if deadline <= at else None
            )
        note, note_problem = checked_note(note, required=False)
        check(
            ("deadline", deadline_problem),
            ("category", category_problem(category)),
            ("note", note_problem),
        )
        if category and category != self.category:
            self.category = category
            self.category_choice = None  # staff's own choice replaces dispatch's
        if deadline is not None:
            self._start_clock(deadline, at)
        else:
            self._stop_clock()
        self.handling_deadline = deadline
        # Dispatch keeps the handle clock: it runs it until staff's deadline when they set one.
        self._move(Status.VERIFIED, actor, at, note, handling_deadline=deadline)

    def resolve(self, *, note: str, actor: Actor, at: datetime) -> None:
        """The handler reports it done; it is solved only once the follow-up confirms it."""
        self._require(Status.RESOLVED)
        if not note.strip():
            check(("note", "is required: say what was done"))
        note = clean_note(note, required=True)
        self._stop_clock()
        self.resolution_note = note
        self._move(Status.RESOLVED, actor, at, note)

    def complete_follow_up(self, *, outcome: FollowUpOutcome, actor: Actor, at: datetime) -> None:
        """Evaluation's follow-up ended; the lifecycle's FOLLOW_UP says what the petition
        becomes (closed, or reopened), with its note."""
        target, note = FOLLOW_UP[outcome]
        if target is Status.REOPENED:
            self.reopen(actor=actor, at=at, note=note)
        else:
            self.close(actor=actor, at=at, note=note)

    def close(self, *, actor: Actor, at: datetime, note: str = "") -> None:
        """Follow-up satisfied, or no answer in time."""
        self._require(Status.CLOSED)
        self._move(Status.CLOSED, actor, at, note)

    def reopen(self, *, actor: Actor, at: datetime, note: str = "") -> None:
        """Follow-up unsatisfied: back to verification, with a new clock set on verify."""
        self._require(Status.REOPENED)
        note = clean_note(note, required=False)
        self._stop_clock()
        self.resolution_note = None
        self._move(Status.REOPENED, actor, at, note)

    def _require(self, target: Status) -> None:
        if not self.may_become(target):
            raise TransitionRefused(self.id, self.status, target)

    def _start_clock(self, deadline: datetime, at: datetime) -> None:
        self.deadline = deadline
        self.clock_started_at = at
        self.yellow_at = None
        self.clock_paused_at = None

    def _stop_clock(self) -> None:
        self.deadline = None
        self.clock_started_at = None
        self.yellow_at = None
        self.clock_paused_at = None

    def _note(self, note: str, actor: Actor, at: datetime) -> None:
        require_aware("at", at)
        entry = HistoryEntry(self.status, self.status, actor, note, at, EntryKind.NOTE)
        self.new_history.append(entry)

    def _move(
        self,
        target: Status,
        actor: Actor,
        at: datetime,
        note: str,
        *,
        handling_deadline: datetime | None = None,
    ) -> None:
        require_aware("at", at)
        previous = self.status
        self.status = target
        self.updated_at = at
        # Every status change sets (or stops) the clock here: dispatch's changes from before it
        # are stale.
        self.deadline_changed_at = at
        self.new_history.append(HistoryEntry(previous, target, actor, note, at))
        self.events.append(
            PetitionStatusChanged(
                self.id, previous, target, actor, note, at, self.category, handling_deadline
            )
        )
