"""Step clocks as the petition moves: VERIFIED starts the handle clock, REOPENED restarts it, a
final status closes the assignment; pause and resume for staff. Every move of a deadline is
published (`PetitionDeadlineChanged`, recorded by the Assignment) in the transaction that makes
it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.dispatch.domain import access, categories
from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.categories import Category
from gridplus.dispatch.domain.time_limits import Step, StepClock, TimePolicy
from gridplus.dispatch.handlers import publish
from gridplus.dispatch.ports import Department, GridDirectory
from gridplus.dispatch.storage import assignments
from gridplus.kit.clock import Clock
from gridplus.kit.outbox import Outbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class HandlePlan:
    """What the handle clock starts with, asked of grid-registry before the transaction: the
    petition's category (changed at verification, or the one routed) and, when the category
    changed, the department responsible for the new one (None: no rule matched)."""

    category: Category
    recategorised: bool = False
    department: Department | None = None


class ClockKeeper:
    def __init__(
        self, *, directory: GridDirectory, policy: TimePolicy, clock: Clock, outbox: Outbox
    ) -> None:
        self._directory = directory
        self._policy = policy
        self._clock = clock
        self._outbox = outbox

    @property
    def policy(self) -> TimePolicy:
        return self._policy

    def category(self, code: str) -> Category:
        """Grid-registry's category, asked before the transaction (it may be remote); one it no
        longer knows runs on the limits of `other` under its own code."""
        found = self._directory.category(code)
        if found is not None:
            return found
        other = self._directory.category(categories.OTHER)
        if other is None:
            raise LookupError(f"grid-registry knows neither category {code} nor {categories.OTHER}")
        return replace(other, code=code)

    def routed(self, session: Session, *, petition_id: str) -> Assignment | None:
        return assignments.get(session, petition_id=petition_id)

    def plan_handling(self, *, routed: Assignment, category_code: str) -> HandlePlan:
        """Before the transaction: the category the handle clock runs for and, if the petition's
        category changed (at verification), the department now responsible."""
        code = category_code.strip() or routed.category
        category = self.category(code)
        if code == routed.category:
            return HandlePlan(category)
        department = self._directory.department(code, routed.grid.code)
        return HandlePlan(category, recategorised=True, department=department)

    def start_handling(
        self,
        session: Session,
        *,
        petition_id: str,
        plan: HandlePlan,
        at: datetime,
        why: str,
        reopened: bool = False,
        actor_id: str = "",
        deadline: datetime | None = None,
    ) -> bool:
        """Start (or, `reopened`, restart) the handle clock. Reopening follows RESOLVED, which
        closed the assignment: it opens again with the same handler. A new category may bring
        a new department: that is published as a transfer (by `actor_id`), the clock is the
        new category's, unless staff chose the `deadline` themselves at verification: then the
        clock runs until that instant (never earlier than now; no business calendar)."""
        assignment = assignments.get(session, petition_id=petition_id, lock=True)
        if assignment is None:
            return False
        if assignment.closed:
            if not reopened:
                return False
            assignment.reopen()
        if plan.recategorised:
            department = plan.department
            assignment.recategorise(
                plan.category,
                department=None if department is None else (department.code, department.reason),
                actor_id=actor_id,
                at=at,
            )
        if deadline is None:
            clock = self._policy.start(plan.category, Step.HANDLE, at)
            reason = f"{why}: {self._policy.reason(clock, plan.category)}"
        else:
            clock, reason = self._chosen_clock(at, deadline, why=why, actor_id=actor_id)
        assignment.start_clock(clock, reason=reason, at=at)
        assignments.save(session, assignment)
        publish(session, self._outbox, assignment.events)
        return True

    def _chosen_clock(
        self, at: datetime, deadline: datetime, *, why: str, actor_id: str
    ) -> tuple[StepClock, str]:
        """The handle clock until the deadline staff set at verification. One already past
        when the event arrives (a late delivery) is due now, so it is overdue at once rather
        than silently extended."""
        now = self._clock.now()
        late = deadline < now
        clock = self._policy.until(Step.HANDLE, at, max(deadline, now))
        reason = (
            f"{why}: deadline set by {actor_id or 'staff'} at verification: "
            f"{clock.step} step deadline {clock.deadline.isoformat()}"
        )
        if late:
            reason += f" (the chosen {deadline.isoformat()} had passed on arrival)"
        return clock, reason

    def close(self, session: Session, *, petition_id: str) -> bool:
        assignment = assignments.get(session, petition_id=petition_id, lock=True)
        if assignment is None or not assignment.close():
            return False
        assignments.save(session, assignment)
        return True

    def pause(
        self, session: Session, *, petition_id: str, visibility: Visibility, why: str = ""
    ) -> Assignment:
        assignment = _visible(session, petition_id, visibility)
        assignment.pause(self._policy, at=self._clock.now(), why=why)
        assignments.save(session, assignment)
        publish(session, self._outbox, assignment.events)
        return assignment

    def resume(self, session: Session, *, petition_id: str, visibility: Visibility) -> Assignment:
        assignment = _visible(session, petition_id, visibility)
        assignment.resume(self._policy, at=self._clock.now())
        assignments.save(session, assignment)
        publish(session, self._outbox, assignment.events)
        return assignment


def _visible(session: Session, petition_id: str, visibility: Visibility) -> Assignment:
    """The assignment, or NOT_FOUND alike when there is none and when it lies outside the
    caller's scope."""
    assignment = assignments.get(session, petition_id=petition_id, lock=True)
    if assignment is None or not visibility.allows(assignment):
        raise access.not_found(petition_id)
    return assignment
