"""Working on an assignment: reading it (within the caller's scope), accept, transfer, refuse
(退单).

Each use case takes a session and the caller; none touches the step clock (a change of handler
never resets it, DESIGN). Remote look-ups (who may take the petition over, the grid chief who
arbitrates a repeated refusal) are asked before the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.dispatch import metrics
from gridplus.dispatch.domain import access
from gridplus.dispatch.domain.access import DEPARTMENT_ROLES, Visibility
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.places import AssigneeRole
from gridplus.dispatch.handlers import publish
from gridplus.dispatch.ports import GridDirectory
from gridplus.dispatch.storage import assignments, lights
from gridplus.dispatch.storage.assignments import Cursor
from gridplus.kit.db import after_commit
from gridplus.kit.errors import InvalidArgument, PermissionDenied
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Caller:
    principal: Principal
    visibility: Visibility

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def department(self) -> str:
        return self.principal.department or ""


# -- reading -------------------------------------------------------------------------------------


def get_assignment(
    session: Session, *, petition_id: str, visibility: Visibility, lock: bool = False
) -> Assignment:
    """The assignment, or NOT_FOUND alike when there is none and when it lies outside the
    caller's scope (DESIGN: no answer reveals what the caller may not see). `lock`: its row is
    held until the transaction ends (it will be written back)."""
    assignment = assignments.get(session, petition_id=petition_id, lock=lock)
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
    return assignments.list_open(
        session,
        assignee_id=assignee_id,
        grid_code=grid_code,
        visibility=visibility,
        after=after,
        limit=limit,
    )


def list_overdue(
    session: Session,
    *,
    now: datetime,
    grid_code: str,
    department_code: str,
    visibility: Visibility,
    after: Cursor | None,
    limit: int,
) -> list[Assignment]:
    """A department filter naming another department meets the department scope: empty."""
    return assignments.list_overdue(
        session,
        now=now,
        grid_code=grid_code,
        department_code=department_code,
        visibility=visibility,
        after=after,
        limit=limit,
    )


def count_lights(
    session: Session,
    *,
    now: datetime,
    level: int,
    grid_code: str,
    department_code: str,
    visibility: Visibility,
) -> list[lights.GridLights]:
    """The map board: open assignments by light per grid of `level`, within the caller's scope."""
    if level not in (1, 2, 3):
        raise InvalidArgument.single("level", f"must be 1, 2 or 3, got {level}")
    return lights.grid_lights(
        session,
        now=now,
        level=level,
        grid_code=grid_code,
        department_code=department_code,
        visibility=visibility,
    )


def open_assignment(session: Session, *, petition_id: str, caller: Caller) -> Assignment:
    """The caller's open assignment: NOT_FOUND outside their scope, FAILED_PRECONDITION closed.
    Its row is locked until the transaction ends: what is read here is written back (accept,
    transfer, refuse), and two refusals at once must count two on every replica."""
    if not petition_id:
        raise InvalidArgument.single("petition_id", "required")
    assignment = get_assignment(
        session, petition_id=petition_id, visibility=caller.visibility, lock=True
    )
    assignment.require_open()
    return assignment


# -- changing ------------------------------------------------------------------------------------


def accept(session: Session, *, petition_id: str, caller: Caller, at: datetime) -> Assignment:
    assignment = open_assignment(session, petition_id=petition_id, caller=caller)
    mine = assignment.assignee_id == caller.subject
    ours = (
        caller.principal.role in DEPARTMENT_ROLES
        and caller.department == assignment.department_code
    )
    if not (mine or ours or caller.principal.role is Role.ADMIN):
        raise PermissionDenied("only the assignee or the responsible department accepts")
    assignment.accept(by=caller.subject, at=at)
    assignments.save(session, assignment)
    return assignment


@dataclass(frozen=True)
class TransferTarget:
    """Where a transfer moves an assignment, checked with the grid registry before the
    transaction opens; empty keeps the current assignee or department."""

    assignee_id: str = ""
    assignee_role: AssigneeRole | None = None  # the role the new assignee takes it in
    department_code: str = ""


def transfer_target(
    directory: GridDirectory,
    assignment: Assignment,
    *,
    to_assignee_id: str,
    to_department_code: str,
) -> TransferTarget:
    """The named assignee must be someone who may handle the petition's grid (they then see
    the petition and its reporter), the named department one the grid registry knows."""
    if not (to_assignee_id or to_department_code):
        raise InvalidArgument.single("to_assignee_id", "name a new assignee or department")
    role = None
    if to_assignee_id:
        role = access.eligible_assignee(
            to_assignee_id, directory.assignees(assignment.grid), grid_code=assignment.grid.code
        )
    if to_department_code:
        access.check_department(
            to_department_code, directory.department_codes(), field="to_department_code"
        )
    return TransferTarget(to_assignee_id, role, to_department_code)


def check_transfer(session: Session, *, petition_id: str, caller: Caller) -> Assignment:
    """Before the grid registry is asked: the caller sees the assignment and may move it."""
    assignment = open_assignment(session, petition_id=petition_id, caller=caller)
    access.check_transfer(caller.principal, assignment)
    return assignment


def transfer(
    session: Session,
    *,
    petition_id: str,
    target: TransferTarget,
    reason: str,
    caller: Caller,
    outbox: Outbox,
    at: datetime,
) -> Assignment:
    if not reason:
        raise InvalidArgument.single("reason", "required")
    assignment = check_transfer(session, petition_id=petition_id, caller=caller)
    assignment.transfer(
        to_assignee_id=target.assignee_id,
        to_role=target.assignee_role,
        to_department_code=target.department_code,
        reason=reason,
        actor_id=caller.subject,
        at=at,
    )
    assignments.save(session, assignment)
    publish(session, outbox, assignment.events)
    return assignment


def grid_of(session: Session, *, petition_id: str, caller: Caller) -> str:
    """The assignment's grid, read (within the caller's scope) before the remote look-up of
    its chiefs."""
    return open_assignment(session, petition_id=petition_id, caller=caller).grid.code


def refuse(
    session: Session,
    *,
    petition_id: str,
    reason: str,
    caller: Caller,
    grid_chiefs: list[str],
    outbox: Outbox,
    at: datetime,
) -> tuple[Assignment, str]:
    if not reason:
        raise InvalidArgument.single("reason", "required")
    assignment = open_assignment(session, petition_id=petition_id, caller=caller)
    if caller.principal.role not in DEPARTMENT_ROLES:
        raise PermissionDenied("only department staff refuse a petition for their department")
    if assignment.department_code != caller.department:  # the department scope sees its own
        raise access.not_found(petition_id)
    refused = assignment.refuse(
        department_code=caller.department,
        actor_id=caller.subject,
        reason=reason,
        grid_chiefs=grid_chiefs,
        at=at,
    )
    assignments.add_refusal(session, refused)
    assignments.save(session, assignment)
    publish(session, outbox, assignment.events)
    department = caller.department
    after_commit(session, lambda: metrics.REFUSALS.labels(department).inc())
    return assignment, refused.arbitrator_id
