"""The assignments repository: Assignment aggregates in and out of their rows (rows never leave
storage), refusals, and the listings of open and overdue assignments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, and_, bindparam, false, insert, or_, select, union
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.categories import Category, CategoryChoice, CategorySource, Priority
from gridplus.dispatch.domain.events import AssignmentRefused
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace
from gridplus.dispatch.domain.time_limits import Step, StepClock
from gridplus.dispatch.storage import changes as changes  # registers the change log
from gridplus.dispatch.storage import loads
from gridplus.dispatch.storage.models import (
    CLOSED,
    OPEN,
    AssignmentGridRow,
    AssignmentRow,
    RefusalRow,
    TriageRow,
)
from gridplus.kit.write_behind import defer_insert


@dataclass(frozen=True)
class Cursor:
    """Where a page ended, in list order (soonest deadline first, then petition id)."""

    deadline: datetime
    petition_id: str


# Routing's statements, built once: every petition runs them (issue 13's profile). Over the
# tables' columns, not the mapped attributes: a statement of mapped attributes goes through the
# ORM's compile and result machinery, about twice the CPU of the statement itself on SQLite.
_ASSIGNMENTS = AssignmentRow.__table__.c
_IDS: BindParameter[str] = bindparam("petition_ids", expanding=True)
# Routed already: an assignment, or sent to triage (one rule for one petition and for a poll's).
_ROUTED = union(
    select(_ASSIGNMENTS.petition_id).where(_ASSIGNMENTS.petition_id.in_(_IDS)),
    select(TriageRow.__table__.c.petition_id).where(TriageRow.__table__.c.petition_id.in_(_IDS)),
)
_INSERT = insert(AssignmentRow.__table__)  # type: ignore[arg-type]
_INSERT_GRIDS = insert(AssignmentGridRow.__table__)  # type: ignore[arg-type]


def routed(session: Session, *, petition_id: str) -> bool:
    """Whether the petition was routed already: it has an assignment, or it went to triage."""
    return bool(routed_among(session, [petition_id]))


def routed_among(session: Session, petition_ids: Sequence[str]) -> set[str]:
    """Which of these petitions were routed already (one query for all of them)."""
    if not petition_ids:
        return set()
    ids = list(dict.fromkeys(petition_ids))
    return {str(found) for found in session.execute(_ROUTED, {"petition_ids": ids}).scalars()}


def get(session: Session, *, petition_id: str, lock: bool = False) -> Assignment | None:
    """The assignment; `lock` (every read that is written back) holds its row FOR UPDATE until
    the transaction ends, so another replica's change in between waits instead of being
    overwritten (a refusal count, a new clock the scanner would mark breached)."""
    row = session.get(AssignmentRow, petition_id, with_for_update=lock or None)
    return None if row is None else to_domain(row)


def add(session: Session, assignment: Assignment) -> None:
    """A new assignment as three prepared Core statements (the row, its change-log entry, its
    grids): the ORM's unit of work cost more than the writes themselves. They wait for the
    session's next statement or its commit (kit.write_behind): a poll's petitions, routed one
    after another with nothing read in between, go in three executemany instead of three
    round trips each."""
    grid = assignment.grid
    row = {
        "petition_id": assignment.petition_id,
        "grid_code": grid.code,
        "grid_level": grid.level,
        "grid_path": list(grid.path),
        "grid_set_version": grid.grid_set_version,
        "grid_level1": grid.level1_code,
        "grid_level2": grid.level2_code,
        **_columns(assignment),
    }
    defer_insert(session, _INSERT, [row], read_back=True)
    changes.record(session, assignment.petition_id, assignment.department_code)
    codes = dict.fromkeys([*grid.path, grid.code])
    grids = [{"grid_code": code, "petition_id": assignment.petition_id} for code in codes]
    # After the assignments' statement, as they refer to its rows (statements first used first).
    defer_insert(session, _INSERT_GRIDS, grids, read_back=True)
    loads.moved(session, before=None, after=_open_for(assignment))


def save(session: Session, assignment: Assignment) -> None:
    """Write a loaded assignment's state back (its grid never changes). The row as loaded (FOR
    UPDATE by every caller that writes back) says whose open assignment it was: a close, a
    reopen or a transfer moves one between the people's counts (storage.loads)."""
    row = session.get(AssignmentRow, assignment.petition_id)
    if row is None:
        raise LookupError(f"no assignment row for petition {assignment.petition_id}")
    before = row.assignee_id if row.status == OPEN else None
    _write(row, assignment)
    session.flush()
    loads.moved(session, before=before, after=_open_for(assignment))


def _open_for(assignment: Assignment) -> str | None:
    """Whose open assignment it is; None when closed."""
    return None if assignment.closed else assignment.assignee_id


def add_refusal(session: Session, refused: AssignmentRefused) -> None:
    session.add(
        RefusalRow(
            petition_id=refused.petition_id,
            department_code=refused.department_code,
            actor_id=refused.actor_id,
            reason=refused.reason,
            refused_at=refused.refused_at,
        )
    )


def _write(row: AssignmentRow, assignment: Assignment) -> None:
    for name, value in _columns(assignment).items():
        setattr(row, name, value)


def _columns(assignment: Assignment) -> dict[str, Any]:
    """The row's columns an assignment's state writes (all but its grid, which never changes)."""
    category = assignment.choice.category
    clock = assignment.clock
    return {
        "assignee_id": assignment.assignee_id,
        "assignee_role": assignment.assignee_role.value,
        "category": category.code,
        "category_name_zh": category.name_zh,
        "category_name_en": category.name_en,
        "category_top_level": category.top_level_code,
        "category_priority": int(category.priority),
        "category_source": assignment.choice.source.value,
        "category_confidence": assignment.choice.confidence,
        "department_code": assignment.department_code,
        "assigned_at": assignment.assigned_at,
        "reasons": list(assignment.reasons),
        "status": CLOSED if assignment.closed else OPEN,
        "breached": assignment.breached,
        "escalation_rung": assignment.escalation_rung,
        "next_escalation_at": assignment.next_escalation_at,
        "refusals": assignment.refusals,
        "accepted_at": assignment.accepted_at,
        "step": clock.step.value,
        "step_started_at": clock.started_at,
        "limit_seconds": clock.limit_seconds,
        "business": clock.business,
        "deadline": clock.deadline,
        "yellow_at": clock.yellow_at,
        "paused_at": clock.paused_at,
        "remaining_seconds": clock.remaining_seconds,
    }


def _clock(row: AssignmentRow) -> StepClock:
    return StepClock(
        step=Step(row.step),
        started_at=row.step_started_at or row.assigned_at,
        limit_seconds=row.limit_seconds,
        business=row.business,
        deadline=row.deadline,
        yellow_at=row.yellow_at or row.deadline,
        paused_at=row.paused_at,
        remaining_seconds=row.remaining_seconds,
    )


def _choice(row: AssignmentRow) -> CategoryChoice:
    category = Category(
        code=row.category,
        name_zh=row.category_name_zh,
        name_en=row.category_name_en,
        top_level_code=row.category_top_level or row.category,
        priority=Priority(row.category_priority),
    )
    return CategoryChoice(
        category, CategorySource(row.category_source), row.category_confidence, ""
    )


def to_domain(row: AssignmentRow) -> Assignment:
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
        choice=_choice(row),
        clock=_clock(row),
        assigned_at=row.assigned_at,
        reasons=tuple(row.reasons),
        department_code=row.department_code,
        escalation_rung=row.escalation_rung,
        refusals=row.refusals,
        accepted_at=row.accepted_at,
        closed=row.status == CLOSED,
        breached=row.breached,
        next_escalation_at=row.next_escalation_at,
    )


def open_counts(session: Session, *, person_ids: Sequence[str]) -> dict[str, int]:
    """Open assignments per person (0 when none), this transaction's own included: the kept
    counts (storage.loads), read by primary key."""
    return loads.counts(session, person_ids=person_ids)


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
    return _soonest_deadline_page(session, query, after, limit)


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
    """Open assignments past their deadline, most overdue first."""
    query = select(AssignmentRow).where(AssignmentRow.status == OPEN, AssignmentRow.deadline <= now)
    if grid_code:
        query = query.where(AssignmentRow.petition_id.in_(_in_grids([grid_code])))
    if department_code:
        query = query.where(AssignmentRow.department_code == department_code)
    query = _visible(query, visibility)
    return _soonest_deadline_page(session, query, after, limit)


def in_grids(codes: Sequence[str]) -> Select[str]:
    """Ids of the petitions whose assignment lies in one of these grids or their subtrees."""
    return _in_grids(codes)


def visible(query: Select[Any], visibility: Visibility) -> Select[Any]:
    """`query` (over AssignmentRow's columns) narrowed to what `visibility` allows."""
    return _visible(query, visibility)


def _in_grids(codes: Sequence[str]) -> Select[str]:
    return select(AssignmentGridRow.petition_id).where(AssignmentGridRow.grid_code.in_(codes))


def _visible(query: Select[Any], visibility: Visibility) -> Select[Any]:
    """`query` narrowed to what `visibility` allows (the same rule as `Visibility.allows`)."""
    if visibility.everything:
        return query
    if visibility.department:
        return query.where(AssignmentRow.department_code == visibility.department)
    conditions = []
    if visibility.person_id:
        conditions.append(AssignmentRow.assignee_id == visibility.person_id)
    if visibility.grid_codes:
        conditions.append(AssignmentRow.petition_id.in_(_in_grids(visibility.grid_codes)))
    return query.where(or_(*conditions) if conditions else false())


def _soonest_deadline_page(
    session: Session, query: Select[AssignmentRow], after: Cursor | None, limit: int
) -> list[Assignment]:
    """One page of `query` in (deadline, petition id) order, after the key of the previous page."""
    if after is not None:
        query = query.where(
            or_(
                AssignmentRow.deadline > after.deadline,
                and_(
                    AssignmentRow.deadline == after.deadline,
                    AssignmentRow.petition_id > after.petition_id,
                ),
            )
        )
    query = query.order_by(AssignmentRow.deadline, AssignmentRow.petition_id).limit(limit)
    return [to_domain(row) for row in session.scalars(query)]
