"""Reads and writes of petitions and their history; domain objects in, domain objects out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, literal, or_, select
from sqlalchemy.orm import Session

from gridplus.kit.db import UtcDateTime
from gridplus.kit.roles import Role
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.petition import EntryKind, HistoryEntry, Light, Petition
from gridplus.petition.domain.values import (
    Actor,
    CategoryChoice,
    CategorySource,
    GeoPoint,
    GridRef,
    Publication,
    Source,
)
from gridplus.petition.storage.models import ChangeRow, HistoryRow, PetitionRow

S = TypeVar("S", bound=Select[Any])


class Sort(StrEnum):
    NEWEST = "NEWEST"  # created_at, newest first (the default)
    OLDEST = "OLDEST"  # created_at, oldest first
    DEADLINE = "DEADLINE"  # soonest deadline first; only petitions whose clock runs


@dataclass(frozen=True)
class Scope:
    """What a caller may see, as SQL can check it (see domain.access)."""

    subject: str
    grid_codes: tuple[str, ...] = ()
    department: str | None = None


@dataclass(frozen=True)
class PetitionQuery:
    """Filters for get_all; None (or empty) matches everything."""

    reporter_id: str | None = None
    status: Status | None = None
    grid_code: str | None = None  # the grid or any grid below it
    statuses: tuple[Status, ...] = ()  # any of these
    department_code: str | None = None
    category: str | None = None
    light: Light | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    text: str | None = None  # in the title or the description
    ids: tuple[str, ...] = ()
    scope: Scope | None = None  # None: everything
    sort: Sort = Sort.NEWEST


@dataclass(frozen=True)
class PageKey:
    """Where a page ended in the query's order: the next page starts after it."""

    created_at: datetime  # the sort value (created_at, or the deadline for Sort.DEADLINE)
    id: str


def get(session: Session, *, petition_id: str, lock: bool = False) -> Petition:
    """The petition, or PetitionNotFound. `lock` holds its row until commit (before a change)."""
    statement = select(PetitionRow).where(PetitionRow.id == petition_id)
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise PetitionNotFound(petition_id)
    return petition_of(row)


def create(session: Session, *, petition: Petition) -> None:
    row = PetitionRow(id=petition.id)
    _copy_into(row, petition)
    session.add(row)
    session.flush()  # the history rows reference it
    _append_history(session, petition, after_seq=0)


def update(session: Session, *, petition: Petition) -> None:
    row = session.get(PetitionRow, petition.id)
    if row is None:
        raise PetitionNotFound(petition.id)
    _copy_into(row, petition)
    last = session.execute(
        select(func.coalesce(func.max(HistoryRow.seq), 0)).where(
            HistoryRow.petition_id == petition.id
        )
    ).scalar_one()
    _append_history(session, petition, after_seq=int(last))


def get_all(
    session: Session,
    *,
    query: PetitionQuery,
    after: PageKey | None,
    limit: int,
    now: datetime | None = None,
    offset: int = 0,
) -> list[Petition]:
    """Petitions matching `query` in its order, starting after `after` (or skipping `offset`,
    for Open311's page numbers); `now` decides lights."""
    statement = filtered(select(PetitionRow), query, now)
    column = PetitionRow.deadline if query.sort is Sort.DEADLINE else PetitionRow.created_at
    if query.sort is Sort.NEWEST:
        if after is not None:
            statement = statement.where(_after(column, after, descending=True))
        statement = statement.order_by(column.desc(), PetitionRow.id.desc())
    else:
        if query.sort is Sort.DEADLINE:
            statement = statement.where(PetitionRow.deadline.is_not(None))
        if after is not None:
            statement = statement.where(_after(column, after, descending=False))
        statement = statement.order_by(column.asc(), PetitionRow.id.asc())
    rows = session.scalars(statement.offset(offset).limit(limit))
    return [petition_of(row) for row in rows]


def sort_value(petition: Petition, sort: Sort) -> datetime:
    if sort is Sort.DEADLINE and petition.deadline is not None:
        return petition.deadline
    return petition.created_at


def get_history(session: Session, *, petition_id: str) -> list[HistoryEntry]:
    rows = session.execute(
        select(HistoryRow).where(HistoryRow.petition_id == petition_id).order_by(HistoryRow.seq)
    ).scalars()
    return [entry_of(row) for row in rows]


def follows(session: Session, *, petition_id: str, reporter_id: str) -> bool:
    """True when `reporter_id` reported a petition merged into `petition_id`."""
    found = session.execute(
        select(PetitionRow.id)
        .where(PetitionRow.duplicate_of == petition_id, PetitionRow.reporter_id == reporter_id)
        .limit(1)
    ).first()
    return found is not None


def get_duplicates(session: Session, *, petition_id: str) -> list[Petition]:
    """Petitions merged into `petition_id`, directly or through a chain of merges."""
    found: list[Petition] = []
    frontier = [petition_id]
    seen = {petition_id}
    while frontier:
        rows = session.scalars(select(PetitionRow).where(PetitionRow.duplicate_of.in_(frontier)))
        frontier = []
        for row in rows:
            if row.id not in seen:
                seen.add(row.id)
                frontier.append(row.id)
                found.append(petition_of(row))
    return found


def get_open_near(
    session: Session,
    *,
    category: str,
    south: float,
    north: float,
    west: float,
    east: float,
    since: datetime,
    open_statuses: tuple[Status, ...],
    limit: int = 50,
) -> list[Petition]:
    """Open petitions of `category` inside a bounding box, created since `since`."""
    rows = session.scalars(
        select(PetitionRow)
        .where(
            PetitionRow.category == category,
            PetitionRow.status.in_([s.value for s in open_statuses]),
            PetitionRow.created_at >= since,
            PetitionRow.lat.between(south, north),
            PetitionRow.lon.between(west, east),
        )
        .order_by(PetitionRow.created_at.desc())
        .limit(limit)
    )
    return [petition_of(row) for row in rows]


def _after(column: Any, key: PageKey, *, descending: bool) -> ColumnElement[bool]:
    if descending:
        return or_(column < key.created_at, and_(column == key.created_at, PetitionRow.id < key.id))
    return or_(column > key.created_at, and_(column == key.created_at, PetitionRow.id > key.id))


def filtered(statement: S, query: PetitionQuery, now: datetime | None) -> S:
    conditions: list[ColumnElement[bool]] = []
    if query.reporter_id is not None:
        conditions.append(PetitionRow.reporter_id == query.reporter_id)
    if query.status is not None:
        conditions.append(PetitionRow.status == query.status.value)
    if query.statuses:
        conditions.append(PetitionRow.status.in_([s.value for s in query.statuses]))
    if query.grid_code is not None:
        conditions.append(_in_subtree(query.grid_code))
    if query.department_code is not None:
        conditions.append(PetitionRow.department_code == query.department_code)
    if query.category is not None:
        conditions.append(PetitionRow.category == query.category)
    if query.created_from is not None:
        conditions.append(PetitionRow.created_at >= query.created_from)
    if query.created_to is not None:
        conditions.append(PetitionRow.created_at < query.created_to)
    if query.ids:
        conditions.append(PetitionRow.id.in_(query.ids))
    if query.text:
        needle = f"%{_escape_like(query.text.lower())}%"
        conditions.append(
            or_(
                func.lower(PetitionRow.title).like(needle, escape="\\"),
                func.lower(PetitionRow.description).like(needle, escape="\\"),
            )
        )
    if query.light is not None and now is not None:
        conditions.append(_light(query.light, now))
    if query.scope is not None:
        conditions.append(_visible(query.scope))
    return statement.where(*conditions) if conditions else statement


def _light(light: Light, now: datetime) -> ColumnElement[bool]:
    # Dispatch's instants compared (as Petition.light does); a paused clock keeps its light.
    at = func.coalesce(PetitionRow.clock_paused_at, literal(now, UtcDateTime()))
    yellow = and_(PetitionRow.yellow_at.is_not(None), PetitionRow.yellow_at <= at)
    if light is Light.RED:
        return PetitionRow.deadline <= at
    return and_(PetitionRow.deadline > at, yellow if light is Light.YELLOW else ~yellow)


def _visible(scope: Scope) -> ColumnElement[bool]:
    options: list[ColumnElement[bool]] = [
        PetitionRow.reporter_id == scope.subject,
        PetitionRow.assignee_id == scope.subject,
    ]
    options += [_in_subtree(code) for code in scope.grid_codes]
    if scope.department:
        options.append(PetitionRow.department_code == scope.department)
    return or_(*options) if options else false()


def _in_subtree(grid_code: str) -> ColumnElement[bool]:
    # The path holds every ancestor's code, so "in the subtree" is "on the path". The needle is
    # the JSON-quoted code, so "A1" does not match "A12".
    needle = _escape_like(json.dumps(grid_code))
    return PetitionRow.grid_path.like(f"%{needle}%", escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def entry_of(row: HistoryRow) -> HistoryEntry:
    return HistoryEntry(
        from_status=Status(row.from_status) if row.from_status else None,
        to_status=Status(row.to_status),
        actor=Actor(row.actor_id, Role(row.actor_role)),
        note=row.note,
        at=row.at,
        kind=EntryKind(row.kind or EntryKind.STATUS.value),
    )


def _append_history(session: Session, petition: Petition, *, after_seq: int) -> None:
    for offset, entry in enumerate(petition.new_history, start=1):
        seq = after_seq + offset
        session.add(
            HistoryRow(
                petition_id=petition.id,
                seq=seq,
                from_status=entry.from_status.value if entry.from_status else None,
                to_status=entry.to_status.value,
                actor_id=entry.actor.id,
                actor_role=entry.actor.role.value,
                note=entry.note,
                at=entry.at,
                kind=entry.kind.value,
            )
        )
        session.add(ChangeRow(petition_id=petition.id, history_seq=seq))
    session.flush()
    petition.new_history.clear()


def _copy_into(row: PetitionRow, petition: Petition) -> None:
    row.status = petition.status.value
    row.title = petition.title
    row.description = petition.description
    row.category = petition.category
    row.lat = petition.location.lat
    row.lon = petition.location.lon
    grid = petition.grid
    row.grid_code = grid.code if grid else None
    row.grid_level = grid.level if grid else None
    row.grid_path = json.dumps(list(grid.path)) if grid else None
    row.grid_set_version = grid.grid_set_version if grid else None
    row.assignee_id = petition.assignee_id
    row.deadline = petition.deadline
    row.reporter_id = petition.reporter.id
    row.reporter_role = petition.reporter.role.value
    row.source = petition.source.value
    row.reject_reason = petition.reject_reason
    row.duplicate_of = petition.duplicate_of
    row.created_at = petition.created_at
    row.updated_at = petition.updated_at
    choice = petition.category_choice
    row.category_name_zh = choice.name_zh if choice else None
    row.category_name_en = choice.name_en if choice else None
    row.category_top_level = choice.top_level_code if choice else None
    row.category_source = choice.source.value if choice else None
    row.category_confidence = choice.confidence if choice else None
    row.department_code = petition.department_code
    row.triage_reason = petition.triage_reason
    row.verify_deadline = petition.verify_deadline
    row.handling_deadline = petition.handling_deadline
    row.clock_started_at = petition.clock_started_at
    row.yellow_at = petition.yellow_at
    row.clock_paused_at = petition.clock_paused_at
    row.deadline_changed_at = petition.deadline_changed_at
    row.resolution_note = petition.resolution_note
    row.address = petition.address
    row.media_url = petition.media_url
    row.attributes = (
        json.dumps(petition.attributes, ensure_ascii=False) if petition.attributes else None
    )
    row.publication = petition.publication.value
    row.visit_id = petition.visit_id


def petition_of(row: PetitionRow) -> Petition:
    grid = None
    if row.grid_code is not None:
        grid = GridRef(
            code=row.grid_code,
            level=row.grid_level or 0,
            path=tuple(json.loads(row.grid_path or "[]")),
            grid_set_version=row.grid_set_version or 0,
        )
    choice = None
    if row.category_source is not None and row.category is not None:
        choice = CategoryChoice(
            code=row.category,
            name_zh=row.category_name_zh or "",
            name_en=row.category_name_en or "",
            top_level_code=row.category_top_level or "",
            source=CategorySource(row.category_source),
            confidence=row.category_confidence or 0.0,
        )
    return Petition(
        id=row.id,
        status=Status(row.status),
        title=row.title,
        description=row.description,
        category=row.category,
        location=GeoPoint(row.lat, row.lon),
        reporter=Actor(row.reporter_id, Role(row.reporter_role)),
        source=Source(row.source),
        created_at=row.created_at,
        updated_at=row.updated_at,
        grid=grid,
        assignee_id=row.assignee_id,
        deadline=row.deadline,
        reject_reason=row.reject_reason,
        duplicate_of=row.duplicate_of,
        category_choice=choice,
        department_code=row.department_code,
        triage_reason=row.triage_reason,
        verify_deadline=row.verify_deadline,
        handling_deadline=row.handling_deadline,
        clock_started_at=row.clock_started_at,
        yellow_at=row.yellow_at,
        clock_paused_at=row.clock_paused_at,
        deadline_changed_at=row.deadline_changed_at,
        resolution_note=row.resolution_note,
        address=row.address,
        media_url=row.media_url,
        attributes=json.loads(row.attributes) if row.attributes else {},
        publication=Publication(row.publication or Publication.PRIVATE.value),
        visit_id=row.visit_id,
    )
