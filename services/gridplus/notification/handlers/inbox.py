"""Reading and marking a person's inbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from gridplus.notification.domain.inbox import Cursor, InboxPage
from gridplus.notification.storage import inbox_items


def list_inbox(
    session: Session, *, recipient_id: str, unread_only: bool, page_size: int, after: Cursor | None
) -> InboxPage:
    # One extra row tells whether another page follows.
    rows = inbox_items.get_page(
        session,
        recipient_id=recipient_id,
        unread_only=unread_only,
        limit=page_size + 1,
        after=after,
    )
    entries = rows[:page_size]
    next_cursor = Cursor.after(entries[-1]) if len(rows) > page_size else None
    unread = inbox_items.count_unread(session, recipient_id=recipient_id)
    return InboxPage(entries=entries, next_cursor=next_cursor, unread_count=unread)


def mark_read(
    session: Session, *, recipient_id: str, item_ids: Sequence[uuid.UUID], at: datetime
) -> int:
    """Mark items read; returns how many of the recipient's items are still unread."""
    inbox_items.mark_read(session, recipient_id=recipient_id, item_ids=item_ids, at=at)
    return inbox_items.count_unread(session, recipient_id=recipient_id)
