"""Petitions and history entries as table rows and back, and the prebuilt Core statements that
write them. Hot paths (intake, dispatch's decisions) run these per petition: Core statements
built once with bind parameters skip the ORM's unit of work and most of SQLAlchemy's statement
building (issue 13's profile: the ORM was most of petition's CPU)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import CTE, Insert, Table, bindparam, func, insert, select, update

from gridplus.kit.roles import Role
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.petition import EntryKind, HistoryEntry, Petition
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

PETITIONS: Table = PetitionRow.__table__  # type: ignore[assignment]
HISTORY: Table = HistoryRow.__table__  # type: ignore[assignment]
CHANGES: Table = ChangeRow.__table__  # type: ignore[assignment]

# Every statement below names the petition as the bind parameter `pid` (not a column's name,
# so it never collides with a column value passed at execution).
_LAST_SEQ = (
    select(func.coalesce(func.max(HISTORY.c.seq), 0))
    .where(HISTORY.c.petition_id == bindparam("pid"))
    .scalar_subquery()
)
SELECT_PETITION = select(PETITIONS).where(PETITIONS.c.id == bindparam("pid"))
# The read before a change holds the row until commit and takes the petition's last history
# number with it, so the entries the change appends are numbered without a look-up each.
SELECT_PETITION_LOCKED = (
    select(PETITIONS, _LAST_SEQ.label("last_seq"))
    .where(PETITIONS.c.id == bindparam("pid"))
    .with_for_update()
)
# A consumer batch's petitions read and locked at once, in id order (as every multi-row lock
# here), so two transactions locking overlapping sets wait for each other instead of deadlocking.
SELECT_PETITIONS_LOCKED = (
    select(
        PETITIONS,
        select(func.coalesce(func.max(HISTORY.c.seq), 0))
        .where(HISTORY.c.petition_id == PETITIONS.c.id)
        .scalar_subquery()
        .label("last_seq"),
    )
    .where(PETITIONS.c.id.in_(bindparam("pids", expanding=True)))
    .order_by(PETITIONS.c.id)
    .with_for_update()
)
INSERT_PETITION = insert(PETITIONS)
# The SET clause is the execution's column values (all of them, or those a change altered).
UPDATE_PETITION = update(PETITIONS).where(PETITIONS.c.id == bindparam("pid"))
INSERT_HISTORY = insert(HISTORY)
INSERT_CHANGES = insert(CHANGES)
# The next entry of a petition loaded earlier: its number taken in the INSERT itself (the row
# lock taken by get(lock=True) keeps another writer from taking the same one; the primary key
# refuses it if one did), and its change feed row naming the entry just appended.
APPEND_HISTORY = insert(HISTORY).values(petition_id=bindparam("pid"), seq=_LAST_SEQ + 1)
APPEND_CHANGE = insert(CHANGES).values(petition_id=bindparam("pid"), history_seq=_LAST_SEQ)
ENTRY_COLUMNS = ("from_status", "to_status", "actor_id", "actor_role", "note", "at", "kind")


# PostgreSQL: a write of the petition's row, its one history entry and the entry's change feed
# row as one statement (data-modifying CTEs: one round trip instead of three). Each CTE runs
# once whether or not the statement reads it; the foreign keys are checked at its end.
def _with_entry(row: CTE) -> Insert:
    """`row` (the petition `pid`'s write), its entry numbered `seq` (ENTRY_COLUMNS bound as
    `entry_<name>`) and the entry's change feed row."""
    entry = (
        insert(HISTORY)
        .values(
            petition_id=bindparam("pid"),
            seq=bindparam("seq"),
            **{
                name: bindparam(f"entry_{name}", type_=HISTORY.c[name].type)
                for name in ENTRY_COLUMNS
            },
        )
        .cte("entry")
    )
    return (
        insert(CHANGES)
        .values(petition_id=bindparam("pid"), history_seq=bindparam("seq"))
        .add_cte(row, entry)
    )


# A new petition (every column bound by its name, the id as `pid`) with its first entry.
CREATE_WITH_ENTRY = _with_entry(
    insert(PETITIONS)
    .values(
        {
            column.name: bindparam("pid" if column.name == "id" else column.name, type_=column.type)
            for column in PETITIONS.columns
        }
    )
    .cte("created")
)
# A change, by the set of columns it altered (a few shapes in practice), with its entry: all
# see the snapshot the statement started in, which the row lock of the read before
# (get(lock=True)) makes the petition's latest.
_CHANGE_WITH_ENTRY: dict[frozenset[str], Insert] = {}


def change_with_entry(columns: frozenset[str]) -> Insert:
    """The statement that writes a change of `columns` (bound by their names) of the petition
    `pid`, and its one entry."""
    statement = _CHANGE_WITH_ENTRY.get(columns)
    if statement is None:
        statement = _with_entry(
            update(PETITIONS)
            .where(PETITIONS.c.id == bindparam("pid"))
            .values({name: bindparam(name, type_=PETITIONS.c[name].type) for name in columns})
            .cte("updated")
        )
        _CHANGE_WITH_ENTRY[columns] = statement
    return statement


def entry_params(entry: HistoryEntry) -> dict[str, Any]:
    """A history entry's values as _with_entry binds them."""
    return {f"entry_{name}": value for name, value in entry_values(entry).items()}


def values_of(petition: Petition) -> dict[str, Any]:
    """Every column of the petition's row but its id, from the aggregate."""
    grid = petition.grid
    choice = petition.category_choice
    return {
        "status": petition.status.value,
        "title": petition.title,
        "description": petition.description,
        "category": petition.category,
        "lat": petition.location.lat,
        "lon": petition.location.lon,
        "grid_code": grid.code if grid else None,
        "grid_level": grid.level if grid else None,
        "grid_path": json.dumps(list(grid.path)) if grid else None,
        "grid_set_version": grid.grid_set_version if grid else None,
        "assignee_id": petition.assignee_id,
        "deadline": petition.deadline,
        "reporter_id": petition.reporter.id,
        "reporter_role": petition.reporter.role.value,
        "source": petition.source.value,
        "reject_reason": petition.reject_reason,
        "duplicate_of": petition.duplicate_of,
        "created_at": petition.created_at,
        "updated_at": petition.updated_at,
        "category_name_zh": choice.name_zh if choice else None,
        "category_name_en": choice.name_en if choice else None,
        "category_top_level": choice.top_level_code if choice else None,
        "category_source": choice.source.value if choice else None,
        "category_confidence": choice.confidence if choice else None,
        "department_code": petition.department_code,
        "triage_reason": petition.triage_reason,
        "verify_deadline": petition.verify_deadline,
        "handling_deadline": petition.handling_deadline,
        "clock_started_at": petition.clock_started_at,
        "yellow_at": petition.yellow_at,
        "clock_paused_at": petition.clock_paused_at,
        "deadline_changed_at": petition.deadline_changed_at,
        "resolution_note": petition.resolution_note,
        "address": petition.address,
        "media_url": petition.media_url,
        "attributes": (
            json.dumps(petition.attributes, ensure_ascii=False) if petition.attributes else None
        ),
        "publication": petition.publication.value,
        "visit_id": petition.visit_id,
    }


def entry_values(entry: HistoryEntry) -> dict[str, Any]:
    """A history entry's columns but its petition and number."""
    return {
        "from_status": entry.from_status.value if entry.from_status else None,
        "to_status": entry.to_status.value,
        "actor_id": entry.actor.id,
        "actor_role": entry.actor.role.value,
        "note": entry.note,
        "at": entry.at,
        "kind": entry.kind.value,
    }


def petition_of(row: Any) -> Petition:
    """The aggregate from a petitions row (an ORM object or a Core row: same names)."""
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


def entry_of(row: Any) -> HistoryEntry:
    """A history entry from its row (an ORM object or a Core row)."""
    return HistoryEntry(
        from_status=Status(row.from_status) if row.from_status else None,
        to_status=Status(row.to_status),
        actor=Actor(row.actor_id, Role(row.actor_role)),
        note=row.note,
        at=row.at,
        kind=EntryKind(row.kind or EntryKind.STATUS.value),
    )
