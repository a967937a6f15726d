"""Reads and writes of petitions and their history; domain objects in, domain objects out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from gridplus.kit.auth import Role
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.petition import HistoryEntry, Petition
from gridplus.petition.domain.values import Actor, GeoPoint, GridRef, Source
from gridplus.petition.storage.models import HistoryRow, PetitionRow


@dataclass(frozen=True)
class PetitionQuery:
    """Filters for get_all; None matches everything."""

    reporter_id: str | None = None
    status: Status | None = None
    grid_code: str | None = None  # the grid or any grid below it


@dataclass(frozen=True)
class PageKey:
    """Where a page ended, in newest-first order: the next page starts after it."""

    created_at: datetime
    id: str


def get(session: Session, *, petition_id: str, lock: bool = False) -> Petition:
    """The petition, or PetitionNotFound. `lock` holds its row until commit (before a change)."""
    statement = select(PetitionRow).where(PetitionRow.id == petition_id)
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise PetitionNotFound(petition_id)
    return _to_domain(row)


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
    session: Session, *, query: PetitionQuery, after: PageKey | None, limit: int
) -> list[Petition]:
    """Petitions matching `query`, newest first, starting after `after`."""
    statement = _filtered(select(PetitionRow), query)
    if after is not None:
        statement = statement.where(
            or_(
                PetitionRow.created_at < after.created_at,
                and_(PetitionRow.created_at == after.created_at, PetitionRow.id < after.id),
            )
        )
    statement = statement.order_by(PetitionRow.created_at.desc(), PetitionRow.id.desc())
    rows = session.scalars(statement.limit(limit))
    return [_to_domain(row) for row in rows]


def get_history(session: Session, *, petition_id: str) -> list[HistoryEntry]:
    rows = session.execute(
        select(HistoryRow).where(HistoryRow.petition_id == petition_id).order_by(HistoryRow.seq)
    ).scalars()
    return [
        HistoryEntry(
            from_status=Status(row.from_status) if row.from_status else None,
            to_status=Status(row.to_status),
            actor=Actor(row.actor_id, Role(row.actor_role)),
            note=row.note,
            at=row.at,
        )
        for row in rows
    ]


def _filtered(statement: Select[PetitionRow], query: PetitionQuery) -> Select[PetitionRow]:
    if query.reporter_id is not None:
        statement = statement.where(PetitionRow.reporter_id == query.reporter_id)
    if query.status is not None:
        statement = statement.where(PetitionRow.status == query.status.value)
    if query.grid_code is not None:
        # The path holds every ancestor's code, so "in the subtree" is "on the path". The
        # needle is the JSON-quoted code, so "A1" does not match "A12".
        needle = _escape_like(json.dumps(query.grid_code))
        statement = statement.where(PetitionRow.grid_path.like(f"%{needle}%", escape="\\"))
    return statement


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _append_history(session: Session, petition: Petition, *, after_seq: int) -> None:
    for offset, entry in enumerate(petition.new_history, start=1):
        session.add(
            HistoryRow(
                petition_id=petition.id,
                seq=after_seq + offset,
                from_status=entry.from_status.value if entry.from_status else None,
                to_status=entry.to_status.value,
                actor_id=entry.actor.id,
                actor_role=entry.actor.role.value,
                note=entry.note,
                at=entry.at,
            )
        )
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


def _to_domain(row: PetitionRow) -> Petition:
    grid = None
    if row.grid_code is not None:
        grid = GridRef(
            code=row.grid_code,
            level=row.grid_level or 0,
            path=tuple(json.loads(row.grid_path or "[]")),
            grid_set_version=row.grid_set_version or 0,
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
    )
