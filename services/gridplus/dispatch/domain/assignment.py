"""The Assignment aggregate: who handles a petition, for which department, under which step clock.

Every change goes through a method that checks it, changes state, keeps a line in `reasons`
(the story staff read) and records the event it causes (`events`, published by the handler in
the same transaction). A change of handler (transfer, refusal) never touches the clock; every
move of a deadline is recorded as `PetitionDeadlineChanged`. Pure: instants are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gridplus.dispatch.domain.categories import Category, CategoryChoice, CategorySource
from gridplus.dispatch.domain.events import (
    AssignmentRefused,
    AssignmentTransferred,
    DomainEvent,
    PetitionAssigned,
    PetitionDeadlineChanged,
    PetitionOverdue,
)
from gridplus.dispatch.domain.places import AssigneeRole as AssigneeRole
from gridplus.dispatch.domain.places import GridPlace as GridPlace
from gridplus.dispatch.domain.places import Member as Member
from gridplus.dispatch.domain.time_limits import Light, Step, StepClock, TimePolicy, clock_light
from gridplus.dispatch.domain.whistles import arbitrator
from gridplus.kit.errors import FailedPrecondition


@dataclass
class Assignment:
    """The decision for one petition: grid, assignee, category, department and the step clock."""

    petition_id: str
    grid: GridPlace
    assignee_id: str
    assignee_role: AssigneeRole
    choice: CategoryChoice
    clock: StepClock
    assigned_at: datetime
    reasons: tuple[str, ...]
    department_code: str = ""
    escalation_rung: int = 0  # rungs of the escalation ladder already climbed for this breach
    refusals: int = 0
    accepted_at: datetime | None = None
    closed: bool = False
    breached: bool = False  # PetitionOverdue went out for the current deadline
    next_escalation_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def assign(
        cls,
        *,
        petition_id: str,
        grid: GridPlace,
        assignee_id: str,
        assignee_role: AssigneeRole,
        choice: CategoryChoice,
        clock: StepClock,
        assigned_at: datetime,
        reasons: tuple[str, ...],
        department_code: str = "",
    ) -> Assignment:
        assignment = cls(
            petition_id=petition_id,
            grid=grid,
            assignee_id=assignee_id,
            assignee_role=assignee_role,
            choice=choice,
            clock=clock,
            assigned_at=assigned_at,
            reasons=reasons,
            department_code=department_code,
        )
        assignment.events.append(
            PetitionAssigned(
                petition_id=petition_id,
                grid=grid,
                assignee_id=assignee_id,
                assignee_role=assignee_role,
                choice=choice,
                deadline=clock.deadline,
                yellow_at=clock.yellow_at,
                assigned_at=assigned_at,
                reasons=reasons,
                department_code=department_code,
            )
        )
        return assignment

    # -- reading ----------------------------------------------------------------------------

    @property
    def category(self) -> str:
        return self.choice.code

    @property
    def step(self) -> Step:
        return self.clock.step

    @property
    def deadline(self) -> datetime:
        return self.clock.deadline

    def light(self, now: datetime) -> Light:
        return clock_light(self.clock, now)

    def _note(self, reason: str) -> None:
        self.reasons = (*self.reasons, reason)

    def require_open(self) -> None:
        if self.closed:
            raise FailedPrecondition(f"the assignment of petition {self.petition_id} is closed")

    # -- handlers ---------------------------------------------------------------------------

    def accept(self, *, by: str, at: datetime) -> None:
        """The handler (or the responsible department) takes it on; accepting again is a no-op."""
        self.require_open()
        if self.accepted_at is None:
            self.accepted_at = at
            self._note(f"accepted by {by} at {at.isoformat()}")

    def transfer(
        self,
        *,
        to_assignee_id: str,
        to_role: AssigneeRole | None,
        to_department_code: str,
        reason: str,
        actor_id: str,
        at: datetime,
    ) -> None:
        """Another assignee and/or department; empty keeps the current one. The new handler
        accepts anew; the deadline stays as it was."""
        self.require_open()
        moved = AssignmentTransferred(
            petition_id=self.petition_id,
            from_assignee_id=self.assignee_id,
            to_assignee_id=to_assignee_id or self.assignee_id,
            from_department_code=self.department_code,
            to_department_code=to_department_code or self.department_code,
            reason=reason,
            actor_id=actor_id,
            transferred_at=at,
        )
        self.assignee_id = moved.to_assignee_id
        if to_role is not None:
            self.assignee_role = to_role
        self.department_code = moved.to_department_code
        self.accepted_at = None
        where = moved.to_assignee_id
        if moved.to_department_code:
            where += f" / {moved.to_department_code}"
        self._note(f"transferred by {actor_id} to {where}: {reason} (deadline unchanged)")
        self.events.append(moved)

    def refuse(
        self,
        *,
        department_code: str,
        actor_id: str,
        reason: str,
        grid_chiefs: list[str],
        at: datetime,
    ) -> AssignmentRefused:
        """A department sends it back (退单). No department holds it until one is chosen (by the
        arbitrator when repeated); the grid assignee keeps it meanwhile, and the clock runs on."""
        self.require_open()
        self.refusals += 1
        settles = arbitrator(self.refusals, grid_chiefs)
        self.department_code = ""
        note = f"refused by department {department_code} ({actor_id}): {reason}"
        if settles:
            note += f"; refusal {self.refusals}: {settles} arbitrates"
        self._note(note)
        refused = AssignmentRefused(
            petition_id=self.petition_id,
            department_code=department_code,
            actor_id=actor_id,
            reason=reason,
            refusal_count=self.refusals,
            arbitrator_id=settles,
            refused_at=at,
        )
        self.events.append(refused)
        return refused

    # -- the clock --------------------------------------------------------------------------

    def _set_clock(
        self, clock: StepClock, *, reason: str, at: datetime, new_deadline: bool
    ) -> None:
        """A new deadline is a new breach to watch for: escalations start over."""
        self.clock = clock
        if new_deadline:
            self.breached = False
            self.escalation_rung = 0
            self.next_escalation_at = None
        self._note(reason)
        self.events.append(PetitionDeadlineChanged(self.petition_id, clock, at, reason))

    def start_clock(self, clock: StepClock, *, reason: str, at: datetime) -> None:
        """Start (or restart) a step clock, e.g. the handle clock on verification."""
        self._set_clock(clock, reason=reason, at=at, new_deadline=True)

    def pause(self, policy: TimePolicy, *, at: datetime, why: str = "") -> None:
        self.require_open()
        if self.clock.paused_at is not None:
            raise FailedPrecondition(f"the clock of petition {self.petition_id} is already paused")
        paused = policy.pause(self.clock, at)
        reason = f"clock paused at {paused.paused_at}: {why or 'waiting for the resident'}"
        self._set_clock(paused, reason=reason, at=at, new_deadline=False)

    def resume(self, policy: TimePolicy, *, at: datetime) -> None:
        self.require_open()
        if self.clock.paused_at is None:
            raise FailedPrecondition(f"the clock of petition {self.petition_id} is not paused")
        resumed = policy.resume(self.clock, at)
        # The deadline moves by the pause: the breach watched for is the new one.
        reason = f"clock resumed: new {resumed.step} deadline {resumed.deadline.isoformat()}"
        self._set_clock(resumed, reason=reason, at=at, new_deadline=True)

    def recategorise(
        self,
        category: Category,
        *,
        department: tuple[str, str] | None,
        actor_id: str,
        at: datetime,
    ) -> None:
        """The category changed at verification: the assignment takes the new one (a person
        chose it) and the department responsible for it (`department` is (code, why), None when
        no rule matched); both changes are kept in the reasons, a new department is published as
        a transfer."""
        if category.code == self.category:
            return
        reasons = [f"category changed at verification: {self.category} -> {category.code}"]
        self.choice = CategoryChoice(category, CategorySource.GIVEN, 1.0, "")
        new_code, why = department or ("", f"no department is responsible for {category.code}")
        moved = None
        if new_code != self.department_code:
            reasons.append(
                f"department {self.department_code or '(none)'} -> {new_code or '(none)'}: {why}"
            )
            moved = AssignmentTransferred(
                petition_id=self.petition_id,
                from_assignee_id=self.assignee_id,
                to_assignee_id=self.assignee_id,
                from_department_code=self.department_code,
                to_department_code=new_code,
                reason="; ".join(reasons),
                actor_id=actor_id,
                transferred_at=at,
            )
            self.department_code = new_code
        self.reasons = (*self.reasons, *reasons)
        if moved is not None:
            self.events.append(moved)

    def close(self) -> bool:
        """The petition is finished (or merged away): the light goes out. False when it was."""
        if self.closed:
            return False
        self.closed = True
        self.next_escalation_at = None
        return True

    def reopen(self) -> None:
        """A RESOLVED petition was reopened: the same handler takes work again."""
        self.closed = False

    def mark_overdue(self, *, at: datetime, next_escalation_at: datetime | None) -> None:
        """The current deadline passed: reported once (the scanner records the breach with it)."""
        self.breached = True
        self.next_escalation_at = next_escalation_at
        self.events.append(
            PetitionOverdue(
                petition_id=self.petition_id,
                grid=self.grid,
                assignee_id=self.assignee_id,
                department_code=self.department_code,
                category=self.category,
                step=self.step,
                deadline=self.deadline,
                detected_at=at,
            )
        )
