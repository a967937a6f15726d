"""Reading, watching and marking a person's inbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.idempotency import caller_scope, run_once
from gridplus.notification.domain.inbox import Cursor, InboxEntry, InboxPage
from gridplus.notification.handlers import request_key
from gridplus.notification.storage import inbox_items

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# How far past the position one read looks (so a watch resumed far back stays cheap per query).
SPAN = 1000


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

    def feed(
        self, *, recipient_id: str, after: int | None, batch: int, gap_grace: timedelta
    ) -> InboxFeed:
        """A watcher's feed: after item number `after`, or (None) from the newest item on."""
        return InboxFeed(
            self._sessions,
            self._clock,
            recipient_id=recipient_id,
            after=after,
            batch=batch,
            gap_grace=gap_grace,
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


class InboxFeed:
    """One WatchInbox stream's position in the item numbering (storage/inbox_items.py).

    Numbers are taken at insert but become visible at commit, in any order on PostgreSQL. The
    feed never moves past a missing number until it appears, or until it has been missing for
    longer than `gap_grace` on the injected clock (a rolled-back transaction): so an item
    committed late is still streamed, in number order, and a watch resumed from the number of
    the last item seen — on any replica — neither misses nor repeats one.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        recipient_id: str,
        after: int | None,
        batch: int,
        gap_grace: timedelta,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._recipient_id = recipient_id
        self._batch = batch
        self._grace = gap_grace
        if after is None:
            with transaction(sessions) as session:
                after = inbox_items.last_seq(session)
        self._after = after
        self._gap_seen: dict[int, datetime] = {}  # missing number -> when first noticed

    @property
    def position(self) -> int:
        """The number everything up to which has been read."""
        return self._after

    def read(self) -> list[InboxEntry]:
        """The recipient's next items (up to `batch`), stopping before the first young gap."""
        while True:
            with transaction(self._sessions) as session:
                last = inbox_items.last_seq(session)
                top = min(last, self._after + SPAN)
                horizon = self._horizon(session, top)
                if horizon <= self._after:
                    return []
                found = inbox_items.numbered_after(
                    session,
                    recipient_id=self._recipient_id,
                    after=self._after,
                    up_to=horizon,
                    limit=self._batch,
                )
            if len(found) == self._batch and found[-1].seq is not None:
                self._after = found[-1].seq
            else:
                self._after = horizon
            self._gap_seen = {n: at for n, at in self._gap_seen.items() if n > self._after}
            if found or horizon < top or top == last:
                return found

    def _horizon(self, session: Session, top: int) -> int:
        after = self._after
        now = self._clock.now()
        while True:
            gap = inbox_items.first_gap(session, after=after, up_to=top)
            if gap is None:
                return top
            seen = self._gap_seen.setdefault(gap, now)
            if now - seen < self._grace:
                return gap - 1
            after = gap  # missing for long: a rolled-back transaction; pass it
