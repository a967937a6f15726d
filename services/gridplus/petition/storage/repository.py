"""Reads and writes of petitions and their history; domain objects in, domain objects out."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    and_,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, SessionTransaction

from gridplus.kit.db import UtcDateTime
from gridplus.kit.write_behind import defer_insert, write_before_read
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.petition import HistoryEntry, Light, Petition
from gridplus.petition.storage import rows
from gridplus.petition.storage.models import PetitionRow

# Re-exported: the change feed reads rows the same way.
from gridplus.petition.storage.rows import entry_of as entry_of
from gridplus.petition.storage.rows import petition_of as petition_of

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


# What get(lock=True) or lock_many read, in this session's info by petition id with the
# transaction it was read in: update() then writes only the columns the aggregate changed and
# numbers its new history entries from the row's last_seq. update() is the only writer of these
# rows and takes the petition's entry out, so an entry of the current transaction is the row as
# it stands (and locked until commit); one of an earlier transaction of the same session is
# ignored.
_LOCKED = "gridplus.petition.locked"

# The hot paths below run their prebuilt Core statements on the session's connection: the
# Session's own execute adds ~10 µs a statement (ORM execution state, autoflush) for nothing
# here (petition code flushes the few ORM objects it adds at once: contacts, photos).


def get(session: Session, *, petition_id: str, lock: bool = False) -> Petition:
    """The petition, or PetitionNotFound. `lock` holds its row until commit (before a change);
    a row `lock_many` read in this transaction and not changed since is not read again."""
    if lock:
        held = _held(session, petition_id)
        if held is not None:
            return petition_of(held.row)
    write_before_read(session)  # a batch's change of this petition, deferred by update()
    statement = rows.SELECT_PETITION_LOCKED if lock else rows.SELECT_PETITION
    row = session.connection().execute(statement, {"pid": petition_id}).first()
    if row is None:
        raise PetitionNotFound(petition_id)
    if lock:
        locked = session.info.setdefault(_LOCKED, {})
        locked[petition_id] = _Read(session.get_transaction(), row, batch=False)
    return petition_of(row)


def lock_many(session: Session, *, petition_ids: Collection[str]) -> None:
    """Lock and read the petitions with one statement, for the get(lock=True) calls of this
    transaction that follow (a consumer batch's events, say); ids not found are left for get
    to report."""
    if not petition_ids:
        return
    transaction = session.get_transaction()
    found = session.connection().execute(rows.SELECT_PETITIONS_LOCKED, {"pids": list(petition_ids)})
    locked = session.info.setdefault(_LOCKED, {})
    for row in found:
        locked[row.id] = _Read(transaction, row, batch=True)


@dataclass(frozen=True)
class _Read:
    transaction: SessionTransaction | None
    row: Row[Any]
    batch: bool  # read by lock_many: its change may wait for the batch's others


def _held(session: Session, petition_id: str) -> _Read | None:
    """What get(lock=True) or lock_many read in the current transaction, if not changed since."""
    read: _Read | None = session.info.get(_LOCKED, {}).get(petition_id)
    return read if read and read.transaction is session.get_transaction() else None


def create(session: Session, *, petition: Petition) -> None:
    """A new petition's row, its history and their change feed rows (numbered from 1)."""
    connection = session.connection()
    values = rows.values_of(petition)
    entries = petition.new_history
    if len(entries) == 1 and connection.dialect.name == "postgresql":
        params = {"pid": petition.id, "seq": 1, **values, **rows.entry_params(entries[0])}
        connection.execute(rows.CREATE_WITH_ENTRY, params)
        entries.clear()
        return
    connection.execute(rows.INSERT_PETITION, {"id": petition.id, **values})
    _append(connection, petition, last_seq=0)


def update(session: Session, *, petition: Petition) -> None:
    """The petition's row as the aggregate has it now, and the history entries it recorded."""
    connection = session.connection()
    values = rows.values_of(petition)
    held = _held(session, petition.id)
    session.info.get(_LOCKED, {}).pop(petition.id, None)
    locked = held.row if held is not None else None
    if locked is None:  # not read with lock=True in this session: every column, numbered in SQL
        write_before_read(session)  # numbered after this petition's entries deferred earlier
        result = connection.execute(rows.UPDATE_PETITION, {"pid": petition.id, **values})
        if not result.rowcount:
            raise PetitionNotFound(petition.id)
        for entry in petition.new_history:
            entry_row = {"pid": petition.id, **rows.entry_values(entry)}
            connection.execute(rows.APPEND_HISTORY, entry_row)
            connection.execute(rows.APPEND_CHANGE, {"pid": petition.id})
        petition.new_history.clear()
        return
    was = locked._mapping
    changed = {name: value for name, value in values.items() if was[name] != value}
    entries = petition.new_history
    if changed and len(entries) == 1 and connection.dialect.name == "postgresql":
        statement = rows.change_with_entry(frozenset(changed))
        params = {"pid": petition.id, "seq": locked.last_seq + 1, **changed}
        params |= rows.entry_params(entries[0])
        entries.clear()
        if held is not None and held.batch:
            # A consumer batch's change: written with the batch's others in one executemany
            # (kit write_behind), before get reads this petition again, at the latest at commit.
            defer_insert(session, statement, [params], read_back=True)
        else:
            connection.execute(statement, params)
        return
    if changed:
        connection.execute(rows.UPDATE_PETITION, {"pid": petition.id, **changed})
    _append(connection, petition, last_seq=locked.last_seq)


def _append(connection: Connection, petition: Petition, *, last_seq: int) -> None:
    """The history entries `petition` recorded, numbered after `last_seq`, and their change
    feed rows; one statement each for all of them."""
    entries = petition.new_history
    if not entries:
        return
    seqs = range(last_seq + 1, last_seq + 1 + len(entries))
    history = [
        {"petition_id": petition.id, "seq": seq, **rows.entry_values(entry)}
        for seq, entry in zip(seqs, entries, strict=True)
    ]
    feed = [{"petition_id": petition.id, "history_seq": seq} for seq in seqs]
    # One row as plain parameters: an executemany of one costs more than a single execution.
    connection.execute(rows.INSERT_HISTORY, history[0] if len(history) == 1 else history)
    connection.execute(rows.INSERT_CHANGES, feed[0] if len(feed) == 1 else feed)
    entries.clear()


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
    statement = filtered(select(rows.PETITIONS), query, now)
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
    found = session.execute(statement.offset(offset).limit(limit))
    return [petition_of(row) for row in found]


def sort_value(petition: Petition, sort: Sort) -> datetime:
    if sort is Sort.DEADLINE and petition.deadline is not None:
        return petition.deadline
    return petition.created_at


def get_history(session: Session, *, petition_id: str) -> list[HistoryEntry]:
    found = session.execute(
        select(rows.HISTORY)
        .where(rows.HISTORY.c.petition_id == petition_id)
        .order_by(rows.HISTORY.c.seq)
    )
    return [entry_of(row) for row in found]


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
        found_now = session.execute(
            select(rows.PETITIONS).where(PetitionRow.duplicate_of.in_(frontier))
        )
        frontier = []
        for row in found_now:
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
    found = session.execute(
        select(rows.PETITIONS)
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
    return [petition_of(row) for row in found]


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
