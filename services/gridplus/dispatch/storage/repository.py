"""Reads and writes of assignments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.routing import AssigneeRole, Assignment, GridPlace, Step
from gridplus.dispatch.storage.models import OPEN, AssignmentGridRow, AssignmentRow


@dataclass(frozen=True)
class Cursor:
    """Where a page ended, in list order (soonest deadline first, then petition id)."""

    deadline: datetime
    petition_id: str


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every instant dispatch stores is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def exists(session: Session, *, petition_id: str) -> bool:
    found = session.execute(
        select(AssignmentRow.petition_id).where(AssignmentRow.petition_id == petition_id)
    ).first()
    return found is not None


def get(session: Session, *, petition_id: str) -> Assignment | None:
    row = session.get(AssignmentRow, petition_id)
    return None if row is None else _to_domain(row)


def create(session: Session, *, assignment: Assignment) -> None:
    grid = assignment.grid
    session.add(
        AssignmentRow(
            petition_id=assignment.petition_id,
            grid_code=grid.code,
            grid_level=grid.level,
            grid_path=list(grid.path),
            grid_set_version=grid.grid_set_version,
            assignee_id=assignment.assignee_id,
            assignee_role=assignment.assignee_role.value,
            category=assignment.category,
            step=assignment.step.value,
            deadline=_utc(assignment.deadline),
            assigned_at=_utc(assignment.assigned_at),
            reasons=list(assignment.reasons),
            status=OPEN,
        )
    )
    session.flush()  # the parent row first: assignment_grids refers to it
    codes = dict.fromkeys([*grid.path, grid.code])
    session.add_all(
        AssignmentGridRow(grid_code=code, petition_id=assignment.petition_id) for code in codes
    )
    session.flush()


def open_counts(session: Session, *, person_ids: Sequence[str]) -> dict[str, int]:
    """Open assignments per person, for all of a grid's members in one query (0 when none)."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(AssignmentRow.assignee_id, func.count())
        .where(AssignmentRow.status == OPEN, AssignmentRow.assignee_id.in_(set(person_ids)))
        .group_by(AssignmentRow.assignee_id)
    ).all()
    found = {person_id: int(count) for person_id, count in rows}
    return {person_id: found.get(person_id, 0) for person_id in person_ids}


def list_open(
    session: Session,
    *,
    assignee_id: str,
    grid_code: str,
    visibility: Visibility,
    after: Cursor | None,
    limit: int,
) -> list[Assignment]:
    """Open assignments, soonest deadline first; empty filters match everything visible."""
    query = select(AssignmentRow).where(AssignmentRow.status == OPEN)
    if assignee_id:
        query = query.where(AssignmentRow.assignee_id == assignee_id)
    if grid_code:
        query = query.where(AssignmentRow.petition_id.in_(_in_grids([grid_code])))
    query = _visible(query, visibility)
    if after is not None:
        deadline = _utc(after.deadline)
        query = query.where(
            or_(
                AssignmentRow.deadline > deadline,
                and_(
                    AssignmentRow.deadline == deadline,
                    AssignmentRow.petition_id > after.petition_id,
                ),
            )
        )
    query = query.order_by(AssignmentRow.deadline, AssignmentRow.petition_id).limit(limit)
    return [_to_domain(row) for row in session.scalars(query)]


def _in_grids(codes: Sequence[str]) -> Select[str]:
    return select(AssignmentGridRow.petition_id).where(AssignmentGridRow.grid_code.in_(codes))


def _visible(query: Select[AssignmentRow], visibility: Visibility) -> Select[AssignmentRow]:
    if visibility.everything:
        return query
    mine = AssignmentRow.assignee_id == visibility.person_id
    if not visibility.grid_codes:
        return query.where(mine)
    return query.where(or_(mine, AssignmentRow.petition_id.in_(_in_grids(visibility.grid_codes))))


def _to_domain(row: AssignmentRow) -> Assignment:
    return Assignment(
        petition_id=row.petition_id,
        grid=GridPlace(
            code=row.grid_code,
            level=row.grid_level,
            path=tuple(row.grid_path),
            grid_set_version=row.grid_set_version,
        ),
        assignee_id=row.assignee_id,
        assignee_role=AssigneeRole(row.assignee_role),
        category=row.category,
        step=Step(row.step),
        deadline=_utc(row.deadline),
        assigned_at=_utc(row.assigned_at),
        reasons=tuple(row.reasons),
    )
