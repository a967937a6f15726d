"""Households, visits and care visits: writes from events (order-independent, as
storage/facts.py: rows keyed by what they are about, duplicates ignored) and the reads coverage
and the weekly digest need, each grid placed by the grid paths petition events carry."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.coverage import (
    CareCheck,
    CareMiss,
    HouseholdVersion,
    Levels,
    Visit,
    levels_of,
)
from gridplus.evaluation.domain.scorecard import Window
from gridplus.evaluation.storage.models import (
    CareVisitCheckRow,
    CareVisitMissRow,
    GridPathRow,
    HouseholdVersionRow,
    VisitRow,
)
from gridplus.evaluation.storage.upserts import insert_ignoring
from gridplus.kit.clock import as_utc

# -- writes -----------------------------------------------------------------------------------


def record_household(
    session: Session,
    *,
    household_id: str,
    version: int,
    grid_code: str,
    place_code: str,
    member_count: int,
    care_member_ids: Sequence[str],
    removed: bool,
    changed_at: datetime,
) -> None:
    """One version of a household; every version is kept (the newest as of a time wins)."""
    row = {
        "household_id": household_id,
        "version": version,
        "grid_code": grid_code,
        "place_code": place_code,
        "member_count": member_count,
        "care_member_ids": json.dumps(sorted(set(care_member_ids))),
        "removed": removed,
        "changed_at": as_utc(changed_at),
    }
    insert_ignoring(session, HouseholdVersionRow.__table__, [row])  # type: ignore[arg-type]


def record_visit(
    session: Session,
    *,
    visit_id: str,
    household_id: str,
    grid_code: str,
    worker_id: str,
    visited_at: datetime,
    care_checks: Iterable[tuple[str, datetime, bool]],
) -> None:
    """A visit and the care-visit checks it counts as: (member_id, due_at, on_time)."""
    visit = {
        "visit_id": visit_id,
        "household_id": household_id,
        "grid_code": grid_code,
        "worker_id": worker_id,
        "visited_at": as_utc(visited_at),
    }
    insert_ignoring(session, VisitRow.__table__, [visit])  # type: ignore[arg-type]
    checks = [
        {
            "visit_id": visit_id,
            "member_id": member_id,
            "due_at": due_at,
            "on_time": on_time,
            "visited_at": visited_at,
            "worker_id": worker_id,
            "grid_code": grid_code,
        }
        for member_id, due_at, on_time in care_checks
    ]
    insert_ignoring(session, CareVisitCheckRow.__table__, checks)  # type: ignore[arg-type]


def record_care_miss(
    session: Session,
    *,
    member_id: str,
    due_at: datetime,
    household_id: str,
    grid_code: str,
    detected_at: datetime,
) -> None:
    row = {
        "member_id": member_id,
        "due_at": as_utc(due_at),
        "household_id": household_id,
        "grid_code": grid_code,
        "detected_at": as_utc(detected_at),
    }
    insert_ignoring(session, CareVisitMissRow.__table__, [row])  # type: ignore[arg-type]


# -- reads ------------------------------------------------------------------------------------


def grid_levels(session: Session) -> dict[str, Levels]:
    """Every grid placed by an event, with its path (level 1 first)."""
    rows = session.execute(
        select(GridPathRow.code, GridPathRow.grid_l1, GridPathRow.grid_l2, GridPathRow.grid_l3)
    ).all()
    return {r.code: (r.grid_l1, r.grid_l2, r.grid_l3) for r in rows}


def subtree(grid_code: str, known: dict[str, Levels]) -> set[str]:
    """The grid and every grid placed under it."""
    return {code for code, levels in known.items() if grid_code in levels} | {grid_code}


def household_versions(
    session: Session,
    until: datetime,
    known: dict[str, Levels],
    grid_codes: Collection[str] | None = None,
) -> list[HouseholdVersion]:
    """Every household version changed before `until` (of households that were ever in one of
    `grid_codes`, when given: a household that moved keeps all its versions)."""
    row = HouseholdVersionRow
    condition = row.changed_at < as_utc(until)
    if grid_codes is not None:
        ever_there = select(row.household_id).where(row.grid_code.in_(sorted(grid_codes)))
        condition = condition & row.household_id.in_(ever_there)
    # Plain columns, not ORM entities: a city holds tens of thousands of households.
    rows = session.execute(
        select(
            row.household_id,
            row.version,
            row.grid_code,
            row.changed_at,
            row.removed,
            row.care_member_ids,
        )
        .where(condition)
        .order_by(row.household_id, row.version)
    ).all()
    return [
        HouseholdVersion(
            household_id=r.household_id,
            version=r.version,
            grid_code=r.grid_code,
            grids=levels_of(r.grid_code, known),
            changed_at=as_utc(r.changed_at),
            removed=r.removed,
            care_member_ids=_members(r.care_member_ids),
        )
        for r in rows
    ]


def _members(stored: str) -> frozenset[str]:
    return frozenset(json.loads(stored)) if stored != "[]" else frozenset()


def visits(
    session: Session,
    window: Window,
    known: dict[str, Levels],
    grid_codes: Collection[str] | None = None,
) -> list[Visit]:
    condition = (VisitRow.visited_at >= window.start_at) & (VisitRow.visited_at < window.end_at)
    if grid_codes is not None:
        condition = condition & VisitRow.grid_code.in_(sorted(grid_codes))
    rows = session.execute(select(VisitRow).where(condition).order_by(VisitRow.visit_id)).scalars()
    return [
        Visit(
            visit_id=r.visit_id,
            household_id=r.household_id,
            grid_code=r.grid_code,
            grids=levels_of(r.grid_code, known),
            worker_id=r.worker_id,
            visited_at=as_utc(r.visited_at),
        )
        for r in rows
    ]


def care_misses(
    session: Session,
    since: datetime | None,
    until: datetime,
    known: dict[str, Levels],
    grid_codes: Collection[str] | None = None,
) -> list[CareMiss]:
    """Missed due times in [since, until) (`since` None: from the beginning)."""
    condition = CareVisitMissRow.due_at < as_utc(until)
    if since is not None:
        condition = condition & (CareVisitMissRow.due_at >= as_utc(since))
    if grid_codes is not None:
        condition = condition & CareVisitMissRow.grid_code.in_(sorted(grid_codes))
    rows = session.execute(
        select(CareVisitMissRow)
        .where(condition)
        .order_by(CareVisitMissRow.member_id, CareVisitMissRow.due_at)
    ).scalars()
    return [
        CareMiss(
            member_id=r.member_id,
            due_at=as_utc(r.due_at),
            household_id=r.household_id,
            grids=levels_of(r.grid_code, known),
        )
        for r in rows
    ]


def care_checks(
    session: Session,
    window: Window,
    known: dict[str, Levels],
    members: Iterable[str] = (),
    visited_before: datetime | None = None,
    grid_codes: Collection[str] | None = None,
) -> list[CareCheck]:
    """Checks whose due time falls in the window, and every check of `members` made before
    `visited_before` (the window's end by default): their earlier visits name who visited them
    last, and their later ones answer a missed due time."""
    before = as_utc(visited_before or window.end_at)
    condition = (CareVisitCheckRow.due_at >= window.start_at) & (
        CareVisitCheckRow.due_at < window.end_at
    )
    if grid_codes is not None:
        condition = condition & CareVisitCheckRow.grid_code.in_(sorted(grid_codes))
    found: dict[tuple[str, str], CareVisitCheckRow] = {}
    wanted = sorted(set(members))
    queries = [select(CareVisitCheckRow).where(condition)]
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        queries.append(
            select(CareVisitCheckRow).where(
                CareVisitCheckRow.member_id.in_(chunk),
                CareVisitCheckRow.visited_at < before,
            )
        )
    for query in queries:
        for row in session.execute(query).scalars():
            found[(row.visit_id, row.member_id)] = row
    return [
        CareCheck(
            member_id=r.member_id,
            due_at=as_utc(r.due_at),
            on_time=r.on_time,
            visited_at=as_utc(r.visited_at),
            worker_id=r.worker_id,
            grids=levels_of(r.grid_code, known),
        )
        for _, r in sorted(found.items())
    ]


def worker_grids(session: Session, worker_id: str) -> set[str]:
    """The grids (smallest) where the worker made visits."""
    rows = session.execute(
        select(VisitRow.grid_code).where(VisitRow.worker_id == worker_id).distinct()
    ).scalars()
    return set(rows)


def visit_workers(session: Session) -> set[str]:
    return set(session.execute(select(VisitRow.worker_id).distinct()).scalars())


def household_grids(session: Session) -> set[str]:
    """The grids households were ever registered in, and those visits were made in."""
    found = set(session.execute(select(HouseholdVersionRow.grid_code).distinct()).scalars())
    return found | set(session.execute(select(VisitRow.grid_code).distinct()).scalars())
