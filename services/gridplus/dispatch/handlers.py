"""Dispatch's use cases: each takes a session (the caller's unit of work) and plain values."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch import convert, metrics
from gridplus.dispatch.classification import Prediction
from gridplus.dispatch.directory import Department, GridDirectory
from gridplus.dispatch.domain import access, categories, routing
from gridplus.dispatch.domain.access import EVERYTHING, Visibility
from gridplus.dispatch.domain.categories import Category, CategoryChoice, CategorySource
from gridplus.dispatch.domain.routing import Assignment, GridPlace, Member
from gridplus.dispatch.domain.time_limits import Step, StepClock, TimePolicy
from gridplus.dispatch.storage import repository
from gridplus.dispatch.storage.models import CLOSED, AssignmentRow, TriageRow
from gridplus.dispatch.storage.repository import Cursor
from gridplus.kit.clock import Clock
from gridplus.kit.errors import FailedPrecondition, InvalidArgument
from gridplus.kit.outbox import Outbox

log = logging.getLogger(__name__)

OUT_OF_JURISDICTION = "OUT_OF_JURISDICTION"
NO_LOCATION = "NO_LOCATION"
NO_ASSIGNEE = "NO_ASSIGNEE"


class Classifier(Protocol):
    def predict(self, title: str, description: str) -> Prediction: ...


@dataclass(frozen=True)
class PetitionToRoute:
    petition_id: str
    title: str
    description: str
    category: str  # empty: dispatch chooses
    location: tuple[float, float] | None  # (lat, lon)


def _after_commit(session: Session, action: Callable[[], None]) -> None:
    # Metrics count what happened: a rolled-back attempt that is retried counts once.
    event.listen(session, "after_commit", lambda _session: action(), once=True)


@dataclass(frozen=True)
class Placement:
    """Where a petition lies, who serves there, its category and department: asked of
    grid-registry (and the classifier) before the transaction opens, so no database lock waits
    on the network."""

    grid: GridPlace | None
    members: tuple[Member, ...] = ()
    parent_chiefs: tuple[Member, ...] = ()
    choice: CategoryChoice | None = None  # None: the petition goes to triage
    best_guess: Prediction | None = None
    department: Department | None = None


class PetitionRouter:
    """Routes a submitted petition to its level-3 grid and an assignee, exactly once."""

    def __init__(
        self,
        *,
        directory: GridDirectory,
        outbox: Outbox,
        clock: Clock,
        policy: TimePolicy,
        classifier: Classifier | None = None,
        threshold: float = 0.3,
    ) -> None:
        self._directory = directory
        self._outbox = outbox
        self._clock = clock
        self._policy = policy
        self._classifier = classifier
        self._threshold = threshold

    # -- before the transaction ------------------------------------------------------------

    def place(self, petition: PetitionToRoute, *, triaged_by: str = "") -> Placement:
        if petition.location is None:
            return Placement(grid=None)
        grid = self._directory.locate(*petition.location)
        if grid is None:
            return Placement(grid=None)
        members = tuple(self._directory.members(grid.code))
        parent_chiefs: tuple[Member, ...] = ()
        if not members and len(grid.path) >= 2:
            parent_chiefs = tuple(self._directory.members(grid.path[-2]))
        choice, guess = self._choose(petition, triaged_by)
        department = None if choice is None else self._directory.department(choice.code, grid.code)
        return Placement(grid, members, parent_chiefs, choice, guess, department)

    def _choose(
        self, petition: PetitionToRoute, triaged_by: str
    ) -> tuple[CategoryChoice | None, Prediction | None]:
        code = petition.category.strip()
        known = self._directory.category(code) if code else None
        if known is not None:
            chosen = (
                categories.triaged(known, triaged_by) if triaged_by else categories.given(known)
            )
            return chosen, None
        if self._classifier is None:
            other = self._directory.category(categories.OTHER) or categories.BUILT_IN["other"]
            why = f"category {other.code}: no category given and no classifier"
            return CategoryChoice(other, CategorySource.GIVEN, 0.0, why), None
        guess = self._classifier.predict(petition.title, petition.description)
        unknown = f"given category {code} is unknown; " if code else ""
        if guess.confidence < self._threshold:
            return None, guess
        category = self._directory.category(guess.code) or categories.built_in(guess.code)
        if category is None:
            return None, guess
        why = (
            f"{unknown}category {category.code} classified from the {guess.language} text "
            f"(confidence {guess.confidence:.2f} >= threshold {self._threshold:.2f})"
        )
        return CategoryChoice(category, CategorySource.CLASSIFIED, guess.confidence, why), guess

    # -- in the transaction ----------------------------------------------------------------

    def route(
        self, session: Session, petition: PetitionToRoute, placement: Placement | None = None
    ) -> None:
        if not petition.petition_id:
            raise ValueError("PetitionSubmitted without a petition_id cannot be routed")
        if repository.exists(session, petition_id=petition.petition_id) or repository.in_triage(
            session, petition_id=petition.petition_id
        ):
            # The same petition again (a resend under a new event id): one assignment, ever.
            log.info("petition already routed", extra={"petition_id": petition.petition_id})
            return
        started = time.perf_counter()
        outcome = self._route(session, petition, placement or self.place(petition))
        elapsed = time.perf_counter() - started
        _after_commit(session, lambda: metrics.ROUTING_SECONDS.labels(outcome).observe(elapsed))

    def _route(self, session: Session, petition: PetitionToRoute, placement: Placement) -> str:
        if petition.location is None:
            return self._fail(session, petition, NO_LOCATION, "the petition has no location")
        lat, lon = petition.location
        grid = placement.grid
        if grid is None:
            why = f"out of jurisdiction: point ({lat:.6f}, {lon:.6f}) lies outside every grid"
            return self._fail(session, petition, OUT_OF_JURISDICTION, why)
        if placement.choice is None:
            return self._send_to_triage(session, petition, grid, placement.best_guess)
        return self._assign(session, petition, placement, placement.choice)

    def _assign(
        self,
        session: Session,
        petition: PetitionToRoute,
        placement: Placement,
        choice: CategoryChoice,
    ) -> str:
        assert placement.grid is not None
        members = [*placement.members, *placement.parent_chiefs]
        counts = repository.open_counts(session, person_ids=[m.person_id for m in members])
        now = self._clock.now()
        clock = self._policy.start(choice.category, Step.VERIFY, now)
        department = placement.department
        try:
            assignment = routing.decide(
                petition_id=petition.petition_id,
                grid=placement.grid,
                members=placement.members,
                parent_chiefs=placement.parent_chiefs,
                open_counts=counts,
                choice=choice,
                clock=clock,
                clock_reason=self._policy.reason(clock, choice.category),
                department=("", "") if department is None else (department.code, department.reason),
                assigned_at=now,
            )
        except routing.NoAssignee as exc:
            return self._fail(session, petition, NO_ASSIGNEE, str(exc))
        repository.create(session, assignment=assignment)
        self._outbox.add(session, convert.petition_assigned(assignment), key=assignment.petition_id)
        labels = (assignment.grid.level1_code, assignment.assignee_role.value)
        source = choice.source.value
        _after_commit(session, lambda: metrics.ASSIGNMENTS.labels(*labels).inc())
        _after_commit(session, lambda: metrics.CATEGORY_CHOICES.labels(source).inc())
        log.info(
            "petition assigned",
            extra={"petition_id": petition.petition_id, "reasons": list(assignment.reasons)},
        )
        return "assigned"

    def _send_to_triage(
        self,
        session: Session,
        petition: PetitionToRoute,
        grid: GridPlace,
        guess: Prediction | None,
    ) -> str:
        assert petition.location is not None
        now = self._clock.now()
        best = guess.code if guess else ""
        confidence = guess.confidence if guess else 0.0
        reason = (
            f"classifier confidence {confidence:.2f} for {best} is below the threshold "
            f"{self._threshold:.2f}: a person chooses the category"
        )
        repository.add_to_triage(
            session,
            TriageRow(
                petition_id=petition.petition_id,
                title=petition.title,
                description=petition.description,
                lat=petition.location[0],
                lon=petition.location[1],
                grid_code=grid.code,
                grid_path=list(grid.path),
                grid_set_version=grid.grid_set_version,
                best_guess=best,
                confidence=confidence,
                sent_at=now,
                status="open",
            ),
        )
        category = categories.built_in(best) if best else None
        sent = convert.petition_sent_to_triage(
            petition.petition_id, grid, category, guess, reason, now
        )
        self._outbox.add(session, sent, key=petition.petition_id)
        _after_commit(session, lambda: metrics.CATEGORY_CHOICES.labels("triage_queue").inc())
        log.info("petition sent to triage", extra={"petition_id": petition.petition_id})
        return "triage"

    def _fail(self, session: Session, petition: PetitionToRoute, code: str, why: str) -> str:
        failed = convert.petition_routing_failed(petition.petition_id, code, why, self._clock.now())
        self._outbox.add(session, failed, key=petition.petition_id)
        _after_commit(session, lambda: metrics.ROUTING_FAILURES.labels(code).inc())
        log.info(
            "petition not routed",
            extra={"petition_id": petition.petition_id, "reason_code": code, "reason": why},
        )
        return "failed"

    # -- triage ----------------------------------------------------------------------------

    def prepare_triage(self, row: TriageRow, category_code: str, person_id: str) -> Placement:
        """Before the transaction: the chosen category, the grid's people and the department."""
        category = self._directory.category(category_code)
        if category is None:
            raise InvalidArgument.single("category_code", f"unknown category {category_code}")
        petition = triage_petition(row, category_code)
        placement = self.place(petition, triaged_by=person_id)
        if placement.grid is None:  # the grid set changed under it: keep the grid it had
            grid = GridPlace(row.grid_code, 3, tuple(row.grid_path), row.grid_set_version)
            members = tuple(self._directory.members(grid.code))
            choice = categories.triaged(category, person_id)
            department = self._directory.department(category.code, grid.code)
            placement = Placement(grid, members, (), choice, None, department)
        return placement

    def route_triaged(self, session: Session, *, petition_id: str, placement: Placement) -> str:
        # The caller's scope was checked when the placement was prepared.
        row = repository.triage_row(session, petition_id=petition_id, visibility=EVERYTHING)
        if row is None or row.status == CLOSED:
            raise FailedPrecondition(f"petition {petition_id} is not waiting in triage")
        assert placement.choice is not None
        row.status = CLOSED
        petition = triage_petition(row, placement.choice.code)
        return self._assign(session, petition, placement, placement.choice)


def triage_petition(row: TriageRow, category_code: str) -> PetitionToRoute:
    return PetitionToRoute(
        petition_id=row.petition_id,
        title=row.title,
        description=row.description,
        category=category_code,
        location=(row.lat, row.lon),
    )


# -- petition lifecycle -> clocks -------------------------------------------------------------


@dataclass(frozen=True)
class HandlePlan:
    """What the handle clock starts with, asked of grid-registry before the transaction: the
    petition's category (changed at verification, or the one routed) and, when the category
    changed, the department responsible for the new one (None: no rule matched)."""

    category: Category
    recategorised: bool = False
    department: Department | None = None


class ClockKeeper:
    """Moves step clocks as the petition moves: VERIFIED starts the handle clock, REOPENED
    restarts it, a final status closes the assignment; pause and resume for staff. Every move
    of a deadline is published (`PetitionDeadlineChanged`) in the transaction that makes it."""

    def __init__(
        self, *, directory: GridDirectory, policy: TimePolicy, clock: Clock, outbox: Outbox
    ) -> None:
        self._directory = directory
        self._policy = policy
        self._clock = clock
        self._outbox = outbox

    def category(self, code: str) -> Category:
        """Asked before the transaction (grid-registry may be remote)."""
        return (
            self._directory.category(code)
            or categories.built_in(code)
            or replace(categories.BUILT_IN[categories.OTHER], code=code)
        )

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
        row = repository.open_row(session, petition_id=petition_id)
        if row is None and reopened:
            row = repository.reopen(session, petition_id=petition_id)
        if row is None:
            return False
        if plan.recategorised and plan.category.code != row.category:
            transferred = _recategorise(row, plan, actor_id=actor_id, at=at)
            if transferred is not None:
                self._outbox.add(session, transferred, key=petition_id)
        if deadline is None:
            clock = self._policy.start(plan.category, Step.HANDLE, at)
            reason = f"{why}: {self._policy.reason(clock, plan.category)}"
        else:
            clock, reason = self._chosen_clock(at, deadline, why=why, actor_id=actor_id)
        repository.set_clock(session, row, clock, new_deadline=True, reason=reason)
        self._publish(session, petition_id, clock, at, reason)
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
        return repository.close(session, petition_id=petition_id)

    def pause(
        self, session: Session, *, petition_id: str, visibility: Visibility, why: str = ""
    ) -> Assignment:
        row = _visible_open_row(session, petition_id, visibility)
        clock = repository.row_clock(row)
        if clock.paused_at is not None:
            raise FailedPrecondition(f"the clock of petition {petition_id} is already paused")
        now = self._clock.now()
        paused = self._policy.pause(clock, now)
        reason = f"clock paused at {paused.paused_at}: {why or 'waiting for the resident'}"
        repository.set_clock(session, row, paused, new_deadline=False, reason=reason)
        self._publish(session, petition_id, paused, now, reason)
        return _get(session, petition_id)

    def resume(self, session: Session, *, petition_id: str, visibility: Visibility) -> Assignment:
        row = _visible_open_row(session, petition_id, visibility)
        clock = repository.row_clock(row)
        if clock.paused_at is None:
            raise FailedPrecondition(f"the clock of petition {petition_id} is not paused")
        now = self._clock.now()
        resumed = self._policy.resume(clock, now)
        # The deadline moves by the pause: the breach watched for is the new one.
        reason = f"clock resumed: new {resumed.step} deadline {resumed.deadline.isoformat()}"
        repository.set_clock(session, row, resumed, new_deadline=True, reason=reason)
        self._publish(session, petition_id, resumed, now, reason)
        return _get(session, petition_id)

    def _publish(
        self, session: Session, petition_id: str, clock: StepClock, at: datetime, reason: str
    ) -> None:
        message = convert.petition_deadline_changed(petition_id, clock, at, reason)
        self._outbox.add(session, message, key=petition_id)


def _recategorise(
    row: AssignmentRow, plan: HandlePlan, *, actor_id: str, at: datetime
) -> events_pb2.AssignmentTransferred | None:
    """The category changed at verification: the row takes the new one (a person chose it) and
    the department responsible for it; both changes are kept in the reasons. Returns the
    transfer to publish when the department changed."""
    category = plan.category
    reasons = [f"category changed at verification: {row.category} -> {category.code}"]
    row.category = category.code
    row.category_name_zh = category.name_zh
    row.category_name_en = category.name_en
    row.category_top_level = category.top_level_code
    row.category_priority = int(category.priority)
    row.category_source = CategorySource.GIVEN.value
    row.category_confidence = 1.0
    department = plan.department
    new_code = "" if department is None else department.code
    transferred = None
    if new_code != row.department_code:
        why = (
            department.reason
            if department is not None
            else f"no department is responsible for {category.code}"
        )
        reasons.append(
            f"department {row.department_code or '(none)'} -> {new_code or '(none)'}: {why}"
        )
        transferred = events_pb2.AssignmentTransferred(
            petition_id=row.petition_id,
            from_assignee_id=row.assignee_id,
            to_assignee_id=row.assignee_id,
            from_department_code=row.department_code,
            to_department_code=new_code,
            reason="; ".join(reasons),
            actor_id=actor_id,
        )
        transferred.transferred_at.FromDatetime(at)
        row.department_code = new_code
    row.reasons = [*row.reasons, *reasons]
    return transferred


def _get(session: Session, petition_id: str) -> Assignment:
    found = repository.get(session, petition_id=petition_id)
    assert found is not None
    return found


def _visible_open_row(session: Session, petition_id: str, visibility: Visibility) -> AssignmentRow:
    assignment = get_assignment(session, petition_id=petition_id, visibility=visibility)
    row = repository.open_row(session, petition_id=assignment.petition_id)
    if row is None:
        raise FailedPrecondition(f"the assignment of petition {petition_id} is closed")
    return row


def get_assignment(session: Session, *, petition_id: str, visibility: Visibility) -> Assignment:
    """The assignment, or NOT_FOUND alike when there is none and when it lies outside the
    caller's scope (DESIGN: no answer reveals what the caller may not see)."""
    assignment = repository.get(session, petition_id=petition_id)
    if assignment is None or not visibility.allows(assignment):
        raise access.not_found(petition_id)
    return assignment


def list_assignments(
    session: Session,
    *,
    assignee_id: str,
    grid_code: str,
    visibility: Visibility,
    after: Cursor | None,
    limit: int,
) -> list[Assignment]:
    return repository.list_open(
        session,
        assignee_id=assignee_id,
        grid_code=grid_code,
        visibility=visibility,
        after=after,
        limit=limit,
    )
