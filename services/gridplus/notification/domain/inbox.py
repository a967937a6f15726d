"""A person's inbox as they read it: entries newest first, in pages (a page token is the API's
spelling of a Cursor), and who may read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_MARK_READ = 500


@dataclass(frozen=True)
class InboxEntry:
    id: uuid.UUID
    recipient_id: str
    kind: str
    event_type: str
    petition_id: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    stored_at: datetime | None = None  # when this service stored it
    seq: int | None = None  # its place in the order WatchInbox streams in

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True)
class Cursor:
    """Position after the last entry of a page: entries sort by (created_at, id), newest first."""

    created_at: datetime
    id: uuid.UUID

    @classmethod
    def after(cls, entry: InboxEntry) -> Cursor:
        return cls(entry.created_at, entry.id)


@dataclass(frozen=True)
class InboxPage:
    entries: list[InboxEntry]
    next_cursor: Cursor | None  # None on the last page
    unread_count: int


def page_size(requested: int) -> int:
    """0 means the default; more than the maximum is served as the maximum (AIP-158)."""
    if requested < 0:
        raise ValueError("must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def may_read_inbox(*, subject: str, role: str, recipient_id: str) -> bool:
    """A person reads only their own inbox; admins and Grid+ services read any."""
    return role in ("admin", "service") or subject == recipient_id
