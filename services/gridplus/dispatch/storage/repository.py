"""Reads and writes of assignments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, case, false, func, or_, select, update
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.categories import Category, CategoryChoice, CategorySource, Priority
from gridplus.dispatch.domain.routing import AssigneeRole, Assignment, GridPlace
from gridplus.dispatch.domain.time_limits import Step, StepClock
from gridplus.dispatch.storage import changes as changes  # registers the change log
from gridplus.dispatch.storage.models import (
    CLOSED,
    OPEN,
    AssignmentGridRow,
    AssignmentRow,
    BreachRow,
    TriageGridRow,
    TriageRow,
    WhistleReportRow,
    WhistleRow,
)


@dataclass(frozen=True)
class Cursor:
    """Where a page ended, in list order (soonest deadline first, then petition id)."""

    deadline: datetime
    petition_id: str


def utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every instant dispatch stores is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_utc = utc


def exists(session: Session, *, petition_id: str) -> bool:
    found = session.execute(
        select(AssignmentRow.petition_id).where(AssignmentRow.petition_id == petition_id)
    ).first()
    return found is not None


def get(session: Session, *, petition_id: str) -> Assignment | None:
    row = session.get(AssignmentRow, petition_id)
    return None if row is None else _to_domain(row)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _clock_columns(clock: StepClock) -> dict[str, object]:
    return {
        "step": clock.step.value,
        "step_started_at": _utc(clock.started_at),
        "limit_seconds": clock.limit_seconds,
        "business": clock.business,
        "deadline": _utc(clock.deadline),
        "yellow_at": _utc(clock.yellow_at),
        "paused_at": _optional_utc(clock.paused_at),
        "remaining_seconds": clock.remaining_seconds,
    }


def create(session: Session, *, assignment: Assignment) -> None:
    grid = assignment.grid
    category = assignment.choice.category
    session.add(
        AssignmentRow(
            petition_id=assignment.petition_id,
            grid_code=grid.code,
            grid_level=grid.level,
            grid_path=list(grid.path),
            grid_set_version=grid.grid_set_version,
            grid_level1=grid.path[0] if grid.path else grid.code,
            grid_level2=grid.path[1] if len(grid.path) > 1 else "",
            assignee_id=assignment.assignee_id,
            assignee_role=assignment.assignee_role.value,
            category=category.code,
            category_name_zh=category.name_zh,
            category_name_en=category.name_en,
            category_top_level=category.top_level_code,
            category_priority=int(category.priority),
            category_source=assignment.choice.source.value,
            category_confidence=assignment.choice.confidence,
            department_code=assignment.department_code,
            assigned_at=_utc(assignment.assigned_at),
            reasons=list(assignment.reasons),
            status=OPEN,
            breached=False,
            escalation_rung=0,
            refusals=0,
            **_clock_columns(assignment.clock),
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
    return _soonest_deadline_page(session, query, after, limit)


def _in_grids(codes: Sequence[str]) -> Select[str]:
    return select(AssignmentGridRow.petition_id).where(AssignmentGridRow.grid_code.in_(codes))


def _visible(query: Select[AssignmentRow], visibility: Visibility) -> Select[AssignmentRow]:
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


def row_clock(row: AssignmentRow) -> StepClock:
    return StepClock(
        step=Step(row.step),
        started_at=_utc(row.step_started_at or row.assigned_at),
        limit_seconds=row.limit_seconds,
        business=row.business,
        deadline=_utc(row.deadline),
        yellow_at=_utc(row.yellow_at or row.deadline),
        paused_at=_optional_utc(row.paused_at),
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
        choice=_choice(row),
        clock=row_clock(row),
        assigned_at=_utc(row.assigned_at),
        reasons=tuple(row.reasons),
        department_code=row.department_code,
        escalation_rung=row.escalation_rung,
        refusals=row.refusals,
        accepted_at=_optional_utc(row.accepted_at),
    )


# -- clocks, breaches, escalation ---------------------------------------------------------------


def open_row(session: Session, *, petition_id: str) -> AssignmentRow | None:
    row = session.get(AssignmentRow, petition_id)
    return row if row is not None and row.status == OPEN else None


def set_clock(
    session: Session, row: AssignmentRow, clock: StepClock, *, new_deadline: bool, reason: str = ""
) -> None:
    """Store a step clock; a new deadline is a new breach to watch for, escalations start over."""
    for name, value in _clock_columns(clock).items():
        setattr(row, name, value)
    if new_deadline:
        row.breached = False
        row.escalation_rung = 0
        row.next_escalation_at = None
    if reason:
        row.reasons = [*row.reasons, reason]
    session.flush()


def close(session: Session, *, petition_id: str) -> bool:
    row = open_row(session, petition_id=petition_id)
    if row is None:
        return False
    row.status = CLOSED
    row.next_escalation_at = None
    session.flush()
    return True


def reopen(session: Session, *, petition_id: str) -> AssignmentRow | None:
    """A RESOLVED petition was reopened: its closed assignment takes work again."""
    row = session.get(AssignmentRow, petition_id)
    if row is None:
        return None
    row.status = OPEN
    session.flush()
    return row


def newly_overdue(session: Session, *, now: datetime, limit: int) -> list[AssignmentRow]:
    """Open, running assignments past their deadline and not yet reported (the scan index)."""
    query = (
        select(AssignmentRow)
        .where(
            AssignmentRow.status == OPEN,
            AssignmentRow.breached.is_(False),
            AssignmentRow.deadline <= _utc(now),
            AssignmentRow.paused_at.is_(None),
        )
        .order_by(AssignmentRow.deadline)
        .limit(limit)
    )
    return list(session.scalars(query))


def record_breach(
    session: Session,
    row: AssignmentRow,
    *,
    detected_at: datetime,
    next_escalation_at: datetime | None,
) -> None:
    session.add(
        BreachRow(
            petition_id=row.petition_id,
            step=row.step,
            deadline=_utc(row.deadline),
            detected_at=_utc(detected_at),
        )
    )
    row.breached = True
    row.next_escalation_at = _optional_utc(next_escalation_at)
    # No flush per breach: the scanner records a batch and the commit writes them together.


def breach_count(session: Session, *, petition_id: str) -> int:
    found = session.scalar(
        select(func.count()).select_from(BreachRow).where(BreachRow.petition_id == petition_id)
    )
    return int(found or 0)


def escalations_due(session: Session, *, now: datetime, limit: int) -> list[AssignmentRow]:
    query = (
        select(AssignmentRow)
        .where(AssignmentRow.status == OPEN, AssignmentRow.next_escalation_at <= _utc(now))
        .order_by(AssignmentRow.next_escalation_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def climb(
    session: Session, *, petition_id: str, rung: int, next_escalation_at: datetime | None
) -> bool:
    """Mark rung `rung` climbed, unless another scanner got there first."""
    result = session.execute(
        update(AssignmentRow)
        .where(
            AssignmentRow.petition_id == petition_id,
            AssignmentRow.status == OPEN,
            AssignmentRow.escalation_rung == rung - 1,
        )
        .values(escalation_rung=rung, next_escalation_at=_optional_utc(next_escalation_at))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LightCount:
    light: str
    grid_level1: str
    grid_level2: str
    department_code: str
    count: int


def light_counts(session: Session, *, now: datetime) -> list[LightCount]:
    """Open assignments by light, level-1 and level-2 grid and department, in one query. A
    paused clock keeps the light it had when it stopped."""
    at = func.coalesce(AssignmentRow.paused_at, _utc(now))
    light = case(
        (AssignmentRow.deadline <= at, "red"),
        (func.coalesce(AssignmentRow.yellow_at, AssignmentRow.deadline) <= at, "yellow"),
        else_="green",
    )
    query = (
        select(
            light,
            AssignmentRow.grid_level1,
            AssignmentRow.grid_level2,
            AssignmentRow.department_code,
            func.count(),
        )
        .where(AssignmentRow.status == OPEN)
        .group_by(
            light,
            AssignmentRow.grid_level1,
            AssignmentRow.grid_level2,
            AssignmentRow.department_code,
        )
    )
    return [LightCount(str(a), b, c, d, int(n)) for a, b, c, d, n in session.execute(query)]


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
    query = select(AssignmentRow).where(
        AssignmentRow.status == OPEN, AssignmentRow.deadline <= _utc(now)
    )
    if grid_code:
        query = query.where(AssignmentRow.petition_id.in_(_in_grids([grid_code])))
    if department_code:
        query = query.where(AssignmentRow.department_code == department_code)
    query = _visible(query, visibility)
    return _soonest_deadline_page(session, query, after, limit)


# -- triage -------------------------------------------------------------------------------------


def add_to_triage(session: Session, row: TriageRow) -> None:
    if session.get(TriageRow, row.petition_id) is None:
        session.add(row)
        session.flush()  # the parent row first: triage_grids refers to it
        codes = dict.fromkeys([*row.grid_path, row.grid_code])
        session.add_all(
            TriageGridRow(grid_code=code, petition_id=row.petition_id) for code in codes
        )
        session.flush()


def triage_row(session: Session, *, petition_id: str, visibility: Visibility) -> TriageRow | None:
    """The petition in triage, None when there is none or it lies outside `visibility`."""
    row = session.get(TriageRow, petition_id)
    if row is None or not visibility.covers([*row.grid_path, row.grid_code]):
        return None
    return row


def list_triage(
    session: Session, *, visibility: Visibility, after: tuple[datetime, str] | None, limit: int
) -> list[TriageRow]:
    """Petitions waiting in triage within `visibility`, oldest first."""
    query = select(TriageRow).where(TriageRow.status == OPEN)
    if not visibility.everything:
        in_scope = select(TriageGridRow.petition_id).where(
            TriageGridRow.grid_code.in_(visibility.grid_codes)
        )
        query = query.where(TriageRow.petition_id.in_(in_scope))
    if after is not None:
        sent, petition_id = _utc(after[0]), after[1]
        query = query.where(
            or_(
                TriageRow.sent_at > sent,
                and_(TriageRow.sent_at == sent, TriageRow.petition_id > petition_id),
            )
        )
    query = query.order_by(TriageRow.sent_at, TriageRow.petition_id).limit(limit)
    return list(session.scalars(query))


def in_triage(session: Session, *, petition_id: str) -> bool:
    row = session.get(TriageRow, petition_id)
    return row is not None


# -- whistles -----------------------------------------------------------------------------------


def newly_late_reports(
    session: Session, *, now: datetime, limit: int
) -> list[tuple[WhistleReportRow, str]]:
    """Whistle reports past their deadline, not made and not yet reported late, with the
    petition id."""
    query = (
        select(WhistleReportRow, WhistleRow.petition_id)
        .join(WhistleRow, WhistleRow.whistle_id == WhistleReportRow.whistle_id)
        .where(
            WhistleReportRow.reported_at.is_(None),
            WhistleReportRow.breached.is_(False),
            WhistleReportRow.deadline <= _utc(now),
        )
        .order_by(WhistleReportRow.deadline)
        .limit(limit)
    )
    return [(report, petition_id) for report, petition_id in session.execute(query).all()]


@dataclass(frozen=True)
class WhistleCount:
    light: str
    department_code: str
    count: int


def whistle_counts(session: Session, *, now: datetime) -> list[WhistleCount]:
    """Reports still owed, by light and department."""
    at = _utc(now)
    light = case(
        (WhistleReportRow.deadline <= at, "red"),
        (WhistleReportRow.yellow_at <= at, "yellow"),
        else_="green",
    )
    query = (
        select(light, WhistleReportRow.department_code, func.count())
        .where(WhistleReportRow.reported_at.is_(None))
        .group_by(light, WhistleReportRow.department_code)
    )
    return [WhistleCount(str(a), b, int(n)) for a, b, n in session.execute(query)]


def _soonest_deadline_page(
    session: Session, query: Select[AssignmentRow], after: Cursor | None, limit: int
) -> list[Assignment]:
    """One page of `query` in (deadline, petition id) order, after the key of the previous page."""
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
