"""Reads and writes of inbox items (times read back aware UTC: the columns are kit UtcDateTime).

Every item takes the next number of one sequence when it is inserted (`seq`): WatchInbox streams
in that order. PostgreSQL hands the numbers out from `inbox_item_seq`, so a transaction holding a
lower number may commit after one holding a higher number, and a number is lost when its
transaction rolls back; `first_gap` lets a watcher wait for the former and pass the latter.
SQLite serialises writers (BEGIN IMMEDIATE), so the highest number + 1 is the next one there.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Insert, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from gridplus.kit.db import insert_for
from gridplus.kit.write_behind import defer_insert
from gridplus.notification.domain.inbox import Cursor, InboxEntry
from gridplus.notification.domain.notices import Notice
from gridplus.notification.storage.models import InboxItem

_TABLE = InboxItem.__table__


def create(
    session: Session,
    notice: Notice,
    *,
    source_event_id: str,
    event_type: str,
    at: datetime,
    stored_at: datetime | None = None,
) -> bool:
    """Store `notice` unless this event already gave its recipient one of its kind.

    Returns whether a new item was stored.
    """
    stored = create_many(
        session,
        [notice],
        source_event_id=source_event_id,
        event_type=event_type,
        at=at,
        stored_at=stored_at,
    )
    return bool(stored)


def create_many(
    session: Session,
    notices: Sequence[Notice],
    *,
    source_event_id: str,
    event_type: str,
    at: datetime,
    stored_at: datetime | None = None,
) -> list[Notice]:
    """Store one event's notices, each unless the event already gave its recipient one of its
    kind (or an earlier notice of the list did); returns those stored, in the given order.

    One look-up (none after `look_up_ahead` named the event in this transaction: then the
    INSERT waits for the commit) and one multi-row INSERT for the lot; the items are numbered
    in list order.
    """
    if not notices:
        return []
    # Checked first so that a repeated event takes no number (a gap watchers would wait on).
    ahead = _looked_up_ahead(session)
    seen = ahead.get(source_event_id) if ahead is not None else None
    if seen is None:
        seen = _stored_for(session, source_event_id)
    fresh: list[Notice] = []
    for notice in notices:
        key = (notice.recipient_id, notice.kind.value)
        if key not in seen:
            seen.add(key)
            fresh.append(notice)
    if not fresh:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    first = 0 if postgres else _take_numbers(session, len(fresh))
    rows = [
        _values(notice, source_event_id, event_type, at, stored_at or at)
        | ({} if postgres else {"seq": first + index})
        for index, notice in enumerate(fresh)
    ]
    if ahead is not None and source_event_id in ahead:
        # Looked up in this transaction, so these are new (barring another writer of the same
        # event at this moment, which the table's key still refuses): written at the commit
        # with the transaction's other inserts (kit write_behind; nothing reads them back).
        defer_insert(session, _insert(session, returning=False), rows)
        return fresh
    # rowcount is not reliable with ON CONFLICT; the returned keys are. On the session's
    # connection: a Core statement needs none of the ORM session's execution.
    found = session.connection().execute(_insert(session, returning=True), rows)
    inserted = {(row[0], row[1]) for row in found}
    return [n for n in fresh if (n.recipient_id, n.kind.value) in inserted]


def look_up_ahead(session: Session, source_event_ids: Collection[str]) -> None:
    """What these events already gave, read with one statement for the create_many calls of
    this transaction that follow (a consumer batch's events) instead of one look-up each."""
    found: dict[str, set[tuple[str, str]]] = {event_id: set() for event_id in source_event_ids}
    if not found:
        return
    rows = session.connection().execute(_STORED_FOR_MANY, {"ids": list(found)})
    for source_event_id, recipient, kind in rows:
        found[source_event_id].add((recipient, kind))
    session.info[_AHEAD_KEY] = (session.get_transaction(), found)


def _looked_up_ahead(session: Session) -> dict[str, set[tuple[str, str]]] | None:
    held = session.info.get(_AHEAD_KEY)
    return held[1] if held is not None and held[0] is session.get_transaction() else None


_AHEAD_KEY = "gridplus.notification.inbox_ahead"


def _stored_for(session: Session, source_event_id: str) -> set[tuple[str, str]]:
    """(recipient, kind) of the items this event already gave."""
    found = session.connection().execute(_STORED_FOR, {"source_event_id": source_event_id})
    return {(recipient, kind) for recipient, kind in found}


# Built once: at one look-up per event, building the statement would cost more than running it.
# Core columns on the session's connection: plain rows, none of the ORM's loading machinery.
_STORED_FOR = select(_TABLE.c.recipient_id, _TABLE.c.kind).where(
    _TABLE.c.source_event_id == bindparam("source_event_id")
)
_STORED_FOR_MANY = select(_TABLE.c.source_event_id, _TABLE.c.recipient_id, _TABLE.c.kind).where(
    _TABLE.c.source_event_id.in_(bindparam("ids", expanding=True))
)
_HIGHEST = select(func.max(InboxItem.seq))


def _values(
    notice: Notice, source_event_id: str, event_type: str, at: datetime, stored_at: datetime
) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "recipient_id": notice.recipient_id,
        "kind": notice.kind.value,
        "event_type": event_type,
        "petition_id": notice.petition_id or None,
        "title": notice.title,
        "body": notice.body,
        "created_at": at,
        "source_event_id": source_event_id,
        "stored_at": stored_at,
        "read_at": None,
    }


_INSERTS: dict[tuple[str, bool], Insert] = {}


def _insert(session: Session, *, returning: bool) -> Insert:
    """The INSERT … ON CONFLICT DO NOTHING (RETURNING (recipient, kind)), built once per dialect
    (executed with a list of rows: SQLAlchemy sends them as one multi-row statement)."""
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get((dialect, returning))
    if statement is None:
        table = InboxItem.__table__
        statement = insert_for(session, table)
        if dialect == "postgresql":  # numbered by the sequence, in row order
            statement = statement.values(seq=func.nextval("inbox_item_seq"))
        statement = statement.on_conflict_do_nothing(
            index_elements=["source_event_id", "recipient_id", "kind"]
        )
        if returning:
            statement = statement.returning(table.c.recipient_id, table.c.kind)
        _INSERTS[dialect, returning] = statement
    return statement


def _take_numbers(session: Session, count: int) -> int:
    """SQLite: the first of `count` consecutive numbers after the highest one. Writers are
    serialised (BEGIN IMMEDIATE), so the highest is read once per transaction and counted on
    from there by this transaction's later inserts (a new transaction reads it again)."""
    transaction = session.get_transaction()
    held = session.info.get(_SEQ_KEY)
    if held is not None and transaction is not None and held[0] is transaction:
        last = int(held[1])
    else:
        last = int(session.execute(_HIGHEST).scalar_one() or 0)
    session.info[_SEQ_KEY] = (transaction, last + count)
    return last + 1


_SEQ_KEY = "gridplus.notification.inbox_seq"


def last_seq(session: Session) -> int:
    """The highest number visible now (0 with no items)."""
    return int(session.execute(select(func.max(InboxItem.seq))).scalar_one() or 0)


def first_gap(session: Session, *, after: int, up_to: int) -> int | None:
    """The lowest number in (after, up_to] not visible (its transaction still open, or rolled
    back), or None when every number in the range is there."""
    numbers = session.scalars(
        select(InboxItem.seq).where(InboxItem.seq > after, InboxItem.seq <= up_to)
    ).all()
    expected = after + 1
    for number in sorted(n for n in numbers if n is not None):
        if number != expected:
            return expected
        expected += 1
    return None if expected > up_to else expected


def numbered_after(
    session: Session, *, recipient_id: str, after: int, up_to: int, limit: int
) -> list[InboxEntry]:
    """The recipient's items numbered in (after, up_to], in number order (WatchInbox)."""
    query = (
        select(InboxItem)
        .where(
            InboxItem.recipient_id == recipient_id,
            InboxItem.seq > after,
            InboxItem.seq <= up_to,
        )
        .order_by(InboxItem.seq)
        .limit(limit)
    )
    return [_entry(row) for row in session.scalars(query)]


def get_page(
    session: Session,
    *,
    recipient_id: str,
    unread_only: bool,
    limit: int,
    after: Cursor | None,
) -> list[InboxEntry]:
    """Up to `limit` entries, newest first, after the cursor."""
    query = select(InboxItem).where(InboxItem.recipient_id == recipient_id)
    if unread_only:
        query = query.where(InboxItem.read_at.is_(None))
    if after is not None:
        at = after.created_at
        query = query.where(
            or_(
                InboxItem.created_at < at,
                and_(InboxItem.created_at == at, InboxItem.id < after.id),
            )
        )
    query = query.order_by(InboxItem.created_at.desc(), InboxItem.id.desc()).limit(limit)
    return [_entry(row) for row in session.scalars(query)]


def count_unread(session: Session, *, recipient_id: str) -> int:
    count = session.execute(
        select(func.count()).where(
            InboxItem.recipient_id == recipient_id, InboxItem.read_at.is_(None)
        )
    ).scalar_one()
    return int(count)


def mark_read(
    session: Session, *, recipient_id: str, item_ids: Sequence[uuid.UUID], at: datetime
) -> None:
    """Mark the recipient's items read; others' items, unknown and read ones stay as they are."""
    if not item_ids:
        return
    session.execute(
        update(InboxItem)
        .where(
            InboxItem.recipient_id == recipient_id,
            InboxItem.id.in_(item_ids),
            InboxItem.read_at.is_(None),
        )
        .values(read_at=at)
    )


def _entry(row: InboxItem) -> InboxEntry:
    return InboxEntry(
        id=row.id,
        recipient_id=row.recipient_id,
        kind=row.kind,
        event_type=row.event_type,
        petition_id=row.petition_id or "",
        title=row.title,
        body=row.body,
        created_at=row.created_at,
        read_at=row.read_at,
        stored_at=row.stored_at,
        seq=row.seq,
    )
