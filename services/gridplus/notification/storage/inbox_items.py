"""Reads and writes of inbox items (times read back aware UTC: the columns are kit UtcDateTime)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from gridplus.kit.db import insert_for
from gridplus.notification.domain.inbox import Cursor, InboxEntry
from gridplus.notification.domain.notices import Notice
from gridplus.notification.storage.models import InboxItem


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
    values = {
        "id": uuid.uuid4(),
        "recipient_id": notice.recipient_id,
        "kind": notice.kind.value,
        "event_type": event_type,
        "petition_id": notice.petition_id or None,
        "title": notice.title,
        "body": notice.body,
        "created_at": at,
        "source_event_id": source_event_id,
        "stored_at": stored_at or at,
    }
    statement = (
        insert_for(session, InboxItem)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source_event_id", "recipient_id", "kind"])
        .returning(InboxItem.id)  # rowcount is not reliable here; a returned id is
    )
    return session.execute(statement).first() is not None


def stored_since(
    session: Session, *, recipient_id: str, since: datetime, limit: int
) -> list[InboxEntry]:
    """Items stored at or after `since`, oldest first (WatchInbox)."""
    query = (
        select(InboxItem)
        .where(InboxItem.recipient_id == recipient_id, InboxItem.stored_at >= since)
        .order_by(InboxItem.stored_at, InboxItem.id)
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
    )
