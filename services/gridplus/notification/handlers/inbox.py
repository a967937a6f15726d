"""Reading and marking a person's inbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.idempotency import caller_scope, run_once
from gridplus.notification.domain.inbox import Cursor, InboxEntry, InboxPage
from gridplus.notification.handlers import request_key
from gridplus.notification.storage import inbox_items

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session


class Inbox:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def page(
        self, *, recipient_id: str, unread_only: bool, page_size: int, after: Cursor | None
    ) -> InboxPage:
        with transaction(self._sessions) as session:
            # One extra row tells whether another page follows.
            rows = inbox_items.get_page(
                session,
                recipient_id=recipient_id,
                unread_only=unread_only,
                limit=page_size + 1,
                after=after,
            )
            unread = inbox_items.count_unread(session, recipient_id=recipient_id)
        entries = rows[:page_size]
        next_cursor = Cursor.after(entries[-1]) if len(rows) > page_size else None
        return InboxPage(entries=entries, next_cursor=next_cursor, unread_count=unread)

    def unread(self, recipient_id: str) -> int:
        with transaction(self._sessions) as session:
            return inbox_items.count_unread(session, recipient_id=recipient_id)

    def stored_since(self, *, recipient_id: str, since: datetime, limit: int) -> list[InboxEntry]:
        """Items stored at or after `since`, oldest first (WatchInbox)."""
        with transaction(self._sessions) as session:
            return inbox_items.stored_since(
                session, recipient_id=recipient_id, since=since, limit=limit
            )

    def mark_read(
        self,
        *,
        caller: str,
        recipient_id: str,
        item_ids: Sequence[uuid.UUID],
        request_id: str = "",
    ) -> int:
        """Mark items read; returns how many of the recipient's items are still unread. A retry
        with the same request id answers the first call's count and marks nothing again."""
        at = self._clock.now()

        def mark(session: Session) -> dict[str, int]:
            inbox_items.mark_read(session, recipient_id=recipient_id, item_ids=item_ids, at=at)
            return {"unread_count": inbox_items.count_unread(session, recipient_id=recipient_id)}

        answer, _ = run_once(
            self._sessions,
            self._clock,
            scope=caller_scope("MarkRead", caller),
            key=request_key(request_id),
            request={"recipient_id": recipient_id, "item_ids": [str(i) for i in item_ids]},
            action=mark,
        )
        return int(answer["unread_count"])
