"""Working on an assignment: accept, transfer, refuse (退单), blow the whistle and report to it.

Each use case takes a session and the caller; none touches the step clock (a change of handler
never resets it, DESIGN). Remote look-ups (the grid chief who arbitrates a repeated refusal) are
passed in, asked before the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch import metrics
from gridplus.dispatch.convert import grid_ref_of
from gridplus.dispatch.directory import GridDirectory
from gridplus.dispatch.domain import access
from gridplus.dispatch.domain.access import DEPARTMENT_ROLES, Visibility
from gridplus.dispatch.domain.routing import AssigneeRole, Assignment
from gridplus.dispatch.domain.whistles import MAX_DEPARTMENTS, arbitrator, summon
from gridplus.dispatch.handlers import get_assignment
from gridplus.dispatch.storage import repository
from gridplus.dispatch.storage.models import (
    AssignmentRow,
    RefusalRow,
    WhistleReportRow,
    WhistleRow,
)
from gridplus.kit.auth import Principal, Role
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from gridplus.kit.outbox import Outbox


@dataclass(frozen=True)
class Caller:
    principal: Principal
    visibility: Visibility

    @property
    def department(self) -> str:
        return self.principal.department or ""


def _open(session: Session, petition_id: str, caller: Caller) -> tuple[Assignment, AssignmentRow]:
    if not petition_id:
        raise InvalidArgument.single("petition_id", "required")
    assignment = get_assignment(session, petition_id=petition_id, visibility=caller.visibility)
    row = repository.open_row(session, petition_id=petition_id)
    if row is None:
        raise FailedPrecondition(f"the assignment of petition {petition_id} is closed")
    return assignment, row


def _reload(session: Session, petition_id: str) -> Assignment:
    session.flush()
    found = repository.get(session, petition_id=petition_id)
    assert found is not None
    return found


def accept(session: Session, *, petition_id: str, caller: Caller, at: datetime) -> Assignment:
    assignment, row = _open(session, petition_id, caller)
    mine = assignment.assignee_id == caller.principal.subject
    ours = caller.principal.role in DEPARTMENT_ROLES and caller.department == row.department_code
    if not (mine or ours or caller.principal.role is Role.ADMIN):
        raise PermissionDenied("only the assignee or the responsible department accepts")
    if row.accepted_at is None:
        row.accepted_at = at
        row.reasons = [*row.reasons, f"accepted by {caller.principal.subject} at {at.isoformat()}"]
    return _reload(session, petition_id)


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
    assignment, _ = _open(session, petition_id, caller)
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
    assignment, row = _open(session, petition_id, caller)
    access.check_transfer(caller.principal, assignment)
    message = events_pb2.AssignmentTransferred(
        petition_id=petition_id,
        from_assignee_id=row.assignee_id,
        to_assignee_id=target.assignee_id or row.assignee_id,
        from_department_code=row.department_code,
        to_department_code=target.department_code or row.department_code,
        reason=reason,
        actor_id=caller.principal.subject,
    )
    message.transferred_at.FromDatetime(at)
    row.assignee_id = message.to_assignee_id
    if target.assignee_role is not None:
        row.assignee_role = target.assignee_role.value
    row.department_code = message.to_department_code
    row.accepted_at = None  # the new handler accepts anew; the deadline stays as it was
    row.reasons = [
        *row.reasons,
        f"transferred by {caller.principal.subject} to {message.to_assignee_id}"
        f"{' / ' + message.to_department_code if message.to_department_code else ''}: "
        f"{reason} (deadline unchanged)",
    ]
    outbox.add(session, message, key=petition_id)
    return _reload(session, petition_id)


def grid_of(session: Session, *, petition_id: str, caller: Caller) -> str:
    """The assignment's grid, read (within the caller's scope) before the remote look-up of
    its chiefs."""
    _, row = _open(session, petition_id, caller)
    return row.grid_code


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
    _, row = _open(session, petition_id, caller)
    if caller.principal.role not in DEPARTMENT_ROLES:
        raise PermissionDenied("only department staff refuse a petition for their department")
    if row.department_code != caller.department:  # the department scope sees only its own
        raise access.not_found(petition_id)
    session.add(
        RefusalRow(
            petition_id=petition_id,
            department_code=caller.department,
            actor_id=caller.principal.subject,
            reason=reason,
            refused_at=at,
        )
    )
    row.refusals += 1
    settles = arbitrator(row.refusals, grid_chiefs)
    # Back to dispatch: no department holds it until one is chosen (by the arbitrator when
    # repeated); the grid assignee keeps it meanwhile, and the clock runs on.
    row.department_code = ""
    note = f"refused by department {caller.department} ({caller.principal.subject}): {reason}"
    if settles:
        note += f"; refusal {row.refusals}: {settles} arbitrates"
    row.reasons = [*row.reasons, note]
    message = events_pb2.AssignmentRefused(
        petition_id=petition_id,
        department_code=caller.department,
        actor_id=caller.principal.subject,
        reason=reason,
        refusal_count=row.refusals,
        arbitrator_id=settles,
    )
    message.refused_at.FromDatetime(at)
    outbox.add(session, message, key=petition_id)
    department = caller.department
    _after_commit(session, lambda: metrics.REFUSALS.labels(department).inc())
    return _reload(session, petition_id), settles


@dataclass(frozen=True)
class WhistleView:
    whistle: WhistleRow
    reports: list[WhistleReportRow]


def blow_whistle(
    session: Session,
    *,
    petition_id: str,
    department_codes: list[str],
    reason: str,
    caller: Caller,
    report_minutes: int,
    known_departments: frozenset[str] | None,
    outbox: Outbox,
    at: datetime,
) -> WhistleView:
    if caller.principal.role not in (Role.GRID_WORKER, Role.GRID_CHIEF, Role.ADMIN):
        raise PermissionDenied("grid workers and chiefs blow the whistle")
    due = summon(department_codes, at, report_minutes)
    if not due:
        raise InvalidArgument.single("department_codes", "name at least one department")
    if len(due) > MAX_DEPARTMENTS:
        raise InvalidArgument.single("department_codes", f"at most {MAX_DEPARTMENTS}")
    for summoned in due:
        access.check_department(
            summoned.department_code, known_departments, field="department_codes"
        )
    if not reason:
        raise InvalidArgument.single("reason", "required")
    _, row = _open(session, petition_id, caller)
    whistle = WhistleRow(
        whistle_id=str(uuid.uuid4()),
        petition_id=petition_id,
        blown_by=caller.principal.subject,
        reason=reason,
        blown_at=at,
    )
    session.add(whistle)
    session.flush()
    reports = [
        WhistleReportRow(
            whistle_id=whistle.whistle_id,
            department_code=d.department_code,
            deadline=d.deadline,
            yellow_at=d.yellow_at,
            reporter_id="",
            note="",
            breached=False,
        )
        for d in due
    ]
    session.add_all(reports)
    message = events_pb2.WhistleBlown(
        whistle_id=whistle.whistle_id,
        petition_id=petition_id,
        grid=_grid(row),
        blown_by=whistle.blown_by,
        department_codes=[d.department_code for d in due],
        reason=whistle.reason,
    )
    message.blown_at.FromDatetime(at)
    message.report_deadline.FromDatetime(due[0].deadline)
    outbox.add(session, message, key=petition_id)
    session.flush()
    return WhistleView(whistle, reports)


def report_to_whistle(
    session: Session,
    *,
    whistle_id: str,
    note: str,
    caller: Caller,
    outbox: Outbox,
    at: datetime,
) -> tuple[WhistleView, bool]:
    if not whistle_id:
        raise InvalidArgument.single("whistle_id", "required")
    if caller.principal.role not in DEPARTMENT_ROLES:
        raise PermissionDenied("department staff report to a whistle for their department")
    # A department reports only for itself, and only to a whistle that summoned it: any other
    # whistle (or none, or a token without a department) answers alike.
    whistle = session.get(WhistleRow, whistle_id)
    report = (
        session.get(WhistleReportRow, (whistle_id, caller.department))
        if whistle is not None and caller.department
        else None
    )
    if whistle is None or report is None:
        raise NotFound(
            f"no whistle {whistle_id} summons department {caller.department or '(none)'}"
        )
    if report.reported_at is not None:
        raise FailedPrecondition(f"department {caller.department} has already reported")
    report.reported_at = at
    report.reporter_id = caller.principal.subject
    report.note = note
    on_time = at <= repository.utc(report.deadline)
    message = events_pb2.WhistleReported(
        whistle_id=whistle_id,
        petition_id=whistle.petition_id,
        department_code=caller.department,
        reporter_id=caller.principal.subject,
        note=report.note,
        on_time=on_time,
    )
    message.reported_at.FromDatetime(at)
    outbox.add(session, message, key=whistle.petition_id)
    waited = (at - repository.utc(whistle.blown_at)).total_seconds()
    department = caller.department
    _after_commit(
        session, lambda: metrics.WHISTLE_REPORT_SECONDS.labels(department).observe(waited)
    )
    session.flush()
    return whistle_view(session, whistle_id), on_time


def whistle_view(session: Session, whistle_id: str) -> WhistleView:
    whistle = session.get(WhistleRow, whistle_id)
    assert whistle is not None
    reports = list(
        session.scalars(
            select(WhistleReportRow)
            .where(WhistleReportRow.whistle_id == whistle_id)
            .order_by(WhistleReportRow.department_code)
        )
    )
    return WhistleView(whistle, reports)


def _grid(row: AssignmentRow) -> common_pb2.GridRef:
    return grid_ref_of(row.grid_code, row.grid_path, row.grid_set_version)


def _after_commit(session: Session, action: Callable[[], None]) -> None:
    # Metrics count what was committed.
    event.listen(session, "after_commit", lambda _session: action(), once=True)
