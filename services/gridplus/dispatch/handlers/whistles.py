"""Whistles (吹哨报到): a grid worker or chief summons departments to a petition, and each summoned
department reports (for itself only) within the time it was given."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.dispatch import metrics
from gridplus.dispatch.domain import access
from gridplus.dispatch.domain.access import DEPARTMENT_ROLES
from gridplus.dispatch.domain.whistles import Whistle, summons
from gridplus.dispatch.handlers import publish
from gridplus.dispatch.handlers.assignments import Caller, open_assignment
from gridplus.dispatch.storage import whistles
from gridplus.kit.db import after_commit
from gridplus.kit.errors import InvalidArgument, NotFound, PermissionDenied
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

WHISTLE_BLOWERS = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.ADMIN})


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
) -> Whistle:
    if caller.principal.role not in WHISTLE_BLOWERS:
        raise PermissionDenied("grid workers and chiefs blow the whistle")
    due = summons(department_codes, at, report_minutes)
    for summoned in due:
        access.check_department(
            summoned.department_code, known_departments, field="department_codes"
        )
    if not reason:
        raise InvalidArgument.single("reason", "required")
    assignment = open_assignment(session, petition_id=petition_id, caller=caller)
    whistle = Whistle.blow(
        whistle_id=str(uuid.uuid4()),
        petition_id=petition_id,
        grid=assignment.grid,
        blown_by=caller.subject,
        due=due,
        reason=reason,
        at=at,
    )
    whistles.add(session, whistle)
    publish(session, outbox, whistle.events)
    return whistle


def report_to_whistle(
    session: Session,
    *,
    whistle_id: str,
    note: str,
    caller: Caller,
    outbox: Outbox,
    at: datetime,
) -> tuple[Whistle, bool]:
    if not whistle_id:
        raise InvalidArgument.single("whistle_id", "required")
    if caller.principal.role not in DEPARTMENT_ROLES:
        raise PermissionDenied("department staff report to a whistle for their department")
    # A department reports only for itself, and only to a whistle that summoned it: any other
    # whistle (or none, or a token without a department) answers alike.
    whistle = whistles.get(session, whistle_id=whistle_id, lock=True)
    if whistle is None:
        raise NotFound(
            f"no whistle {whistle_id} summons department {caller.department or '(none)'}"
        )
    on_time = whistle.report(
        department_code=caller.department, reporter_id=caller.subject, note=note, at=at
    )
    whistles.save(session, whistle)
    publish(session, outbox, whistle.events)
    waited = (at - whistle.blown_at).total_seconds()
    department = caller.department
    after_commit(session, lambda: metrics.WHISTLE_REPORT_SECONDS.labels(department).observe(waited))
    return whistle, on_time


MAX_WHISTLES = 100


def list_whistles(
    session: Session,
    *,
    visibility: access.Visibility,
    petition_id: str,
    open_only: bool,
    page_size: int,
) -> list[Whistle]:
    """The newest whistles in the caller's scope (department: those summoning it)."""
    if page_size < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    limit = min(page_size or 50, MAX_WHISTLES)
    return whistles.list_visible(
        session, visibility=visibility, petition_id=petition_id, open_only=open_only, limit=limit
    )
