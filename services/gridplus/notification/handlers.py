"""Notification's use cases: each takes a session (the caller's unit of work) and plain values."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from google.protobuf.message import Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from gridplus.notification import metrics
from gridplus.notification.domain import rules
from gridplus.notification.domain.inbox import Cursor, InboxPage
from gridplus.notification.domain.notices import Channel, Notice
from gridplus.notification.domain.templates import DEFAULT_LANGUAGE
from gridplus.notification.storage import repository


def deliver(
    session: Session,
    *,
    event_id: str,
    event_type: str,
    payload: Message,
    at: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> list[Notice]:
    """Put the notices an event causes in their recipients' inboxes; returns the new ones."""
    created = [
        notice
        for notice in rules.notices_for(payload, language)
        if repository.create(
            session, notice, source_event_id=event_id, event_type=event_type, at=at
        )
    ]
    if created:
        _count_after_commit(session, created, Channel.INBOX)
    return created


def list_inbox(
    session: Session, *, recipient_id: str, unread_only: bool, page_size: int, after: Cursor | None
) -> InboxPage:
    # One extra row tells whether another page follows.
    rows = repository.get_page(
        session,
        recipient_id=recipient_id,
        unread_only=unread_only,
        limit=page_size + 1,
        after=after,
    )
    entries = rows[:page_size]
    next_cursor = Cursor.after(entries[-1]) if len(rows) > page_size else None
    unread = repository.count_unread(session, recipient_id=recipient_id)
    return InboxPage(entries=entries, next_cursor=next_cursor, unread_count=unread)


def mark_read(
    session: Session, *, recipient_id: str, item_ids: Sequence[uuid.UUID], at: datetime
) -> int:
    """Mark items read; returns how many of the recipient's items are still unread."""
    repository.mark_read(session, recipient_id=recipient_id, item_ids=item_ids, at=at)
    return repository.count_unread(session, recipient_id=recipient_id)


def _count_after_commit(session: Session, notices: list[Notice], channel: Channel) -> None:
    # Counted only once the items are really stored: a rolled-back delivery is retried later.
    by_kind = Counter(notice.kind.value for notice in notices)

    def record(_session: Session) -> None:
        for kind, count in by_kind.items():
            metrics.NOTICES_CREATED.labels(kind, channel.value).inc(count)

    event.listen(session, "after_commit", record, once=True)
