"""The household replica and the care clocks: what HouseholdChanged writes, what a visit restarts,
what the care scan reports and what ListCareDue and the gauges read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.care import CareClock
from gridplus.dispatch.domain.time_limits import Light
from gridplus.dispatch.domain.visits import Household
from gridplus.dispatch.storage.models import CareMemberRow, HouseholdRow


@dataclass(frozen=True)
class CareCount:
    grid_code: str
    light: str
    count: int


def get_household(session: Session, *, household_id: str) -> Household | None:
    row = session.get(HouseholdRow, household_id)
    if row is None:
        return None
    return Household(
        row.household_id, row.grid_code, tuple(row.grid_path), row.place_code, row.version,
        row.removed,
    )  # fmt: skip


def household_version(session: Session, *, household_id: str) -> int | None:
    row = session.get(HouseholdRow, household_id, with_for_update=True)
    return None if row is None else row.version


def save_household(
    session: Session, household: Household, *, member_count: int, changed_at: datetime
) -> None:
    row = session.get(HouseholdRow, household.household_id)
    if row is None:
        row = HouseholdRow(household_id=household.household_id)
        session.add(row)
    row.grid_code = household.grid_code
    row.grid_path = list(household.grid_path)
    row.place_code = household.place_code
    row.member_count = member_count
    row.version = household.version
    row.removed = household.removed
    row.changed_at = changed_at


def clocks_of(session: Session, *, household_id: str, lock: bool = False) -> list[CareClock]:
    query = (
        select(CareMemberRow)
        .where(CareMemberRow.household_id == household_id)
        .order_by(CareMemberRow.member_id)
    )
    if lock:
        query = query.with_for_update()
    return [to_clock(row) for row in session.scalars(query)]


def save_clock(session: Session, clock: CareClock) -> None:
    row = session.get(CareMemberRow, clock.member_id)
    if row is None:
        row = CareMemberRow(member_id=clock.member_id)
        session.add(row)
    path = list(clock.grid_path)
    row.household_id = clock.household_id
    row.grid_code = clock.grid_code
    row.grid_level1 = path[0] if path else clock.grid_code
    row.grid_level2 = path[1] if len(path) > 1 else ""
    row.grid_path = path
    row.care_groups = list(clock.care_groups)
    row.interval_days = clock.interval_days
    row.interval_seconds = clock.interval_seconds
    row.registered_at = clock.registered_at
    row.last_visited_at = clock.last_visited_at
    row.due_at = clock.due_at
    row.yellow_at = clock.yellow_at
    row.reported_due_at = clock.reported_due_at


def drop_clocks(session: Session, *, member_ids: Sequence[str]) -> None:
    if member_ids:
        session.execute(delete(CareMemberRow).where(CareMemberRow.member_id.in_(member_ids)))


def newly_overdue(session: Session, *, now: datetime, limit: int) -> list[CareClock]:
    """Clocks past due whose due time is not reported yet, locked FOR UPDATE SKIP LOCKED on
    PostgreSQL (two scanners take disjoint rows; SQLite has one writer at a time)."""
    query = (
        select(CareMemberRow)
        .where(
            CareMemberRow.due_at <= now,
            or_(
                CareMemberRow.reported_due_at.is_(None),
                CareMemberRow.reported_due_at != CareMemberRow.due_at,
            ),
        )
        .order_by(CareMemberRow.due_at, CareMemberRow.member_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [to_clock(row) for row in session.scalars(query)]


def mark_reported(session: Session, clock: CareClock) -> bool:
    """Record that `clock`'s due time was reported; False when another scanner did, or a visit
    moved the due time meanwhile (then nothing is published)."""
    result = session.execute(
        update(CareMemberRow)
        .where(
            CareMemberRow.member_id == clock.member_id,
            CareMemberRow.due_at == clock.due_at,
            or_(
                CareMemberRow.reported_due_at.is_(None),
                CareMemberRow.reported_due_at != clock.due_at,
            ),
        )
        .values(reported_due_at=clock.due_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def in_scope(query: Any, grid_codes: Sequence[str]) -> Any:
    """Clocks whose grid path meets `grid_codes` (levels 1..3)."""
    return query.where(
        or_(
            CareMemberRow.grid_code.in_(grid_codes),
            CareMemberRow.grid_level2.in_(grid_codes),
            CareMemberRow.grid_level1.in_(grid_codes),
        )
    )


def list_due(
    session: Session,
    *,
    now: datetime,
    grid_codes: Sequence[str] | None,
    light: Light | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[CareClock]:
    """Clocks by due time, soonest first: past due (red) come first by that order alone.
    `grid_codes` None: every grid."""
    query = select(CareMemberRow)
    if grid_codes is not None:
        query = in_scope(query, grid_codes)
    if light is Light.RED:
        query = query.where(CareMemberRow.due_at <= now)
    elif light is Light.YELLOW:
        query = query.where(CareMemberRow.yellow_at <= now, CareMemberRow.due_at > now)
    elif light is Light.GREEN:
        query = query.where(CareMemberRow.yellow_at > now)
    if after is not None:
        due, member = after
        query = query.where(
            or_(
                CareMemberRow.due_at > due,
                (CareMemberRow.due_at == due) & (CareMemberRow.member_id > member),
            )
        )
    query = query.order_by(CareMemberRow.due_at, CareMemberRow.member_id).limit(limit)
    return [to_clock(row) for row in session.scalars(query)]


def care_counts(session: Session, *, now: datetime) -> list[CareCount]:
    """Red and yellow clocks by level-3 grid, in one grouped query (the gauges)."""
    shade = case(
        (CareMemberRow.due_at <= now, Light.RED.value),
        (CareMemberRow.yellow_at <= now, Light.YELLOW.value),
        else_=Light.GREEN.value,
    )
    query = (
        select(CareMemberRow.grid_code, shade, func.count())
        .where(CareMemberRow.yellow_at <= now)
        .group_by(CareMemberRow.grid_code, shade)
    )
    return [CareCount(str(code), str(s), int(n)) for code, s, n in session.execute(query)]


def to_clock(row: CareMemberRow) -> CareClock:
    return CareClock(
        member_id=row.member_id,
        household_id=row.household_id,
        grid_code=row.grid_code,
        grid_path=tuple(row.grid_path),
        care_groups=tuple(row.care_groups),
        interval_days=row.interval_days,
        interval_seconds=row.interval_seconds,
        registered_at=row.registered_at,
        last_visited_at=row.last_visited_at,
        reported_due_at=row.reported_due_at,
    )
