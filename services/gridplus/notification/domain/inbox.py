"""A person's inbox as they read it: entries newest first, in pages, and who may read it."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_MARK_READ = 500


class BadPageToken(ValueError):
    """A page token this service did not issue (or one damaged on the way)."""


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
    stored_at: datetime | None = None  # when this service stored it (WatchInbox follows it)

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


def encode_page_token(cursor: Cursor | None) -> str:
    if cursor is None:
        return ""
    raw = json.dumps({"t": cursor.created_at.isoformat(), "i": str(cursor.id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> Cursor | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
        created_at = datetime.fromisoformat(fields["t"])
        item_id = uuid.UUID(fields["i"])
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise BadPageToken(str(exc)) from None
    if created_at.tzinfo is None:
        raise BadPageToken("token time has no time zone")
    return Cursor(created_at, item_id)


def may_read_inbox(*, subject: str, role: str, recipient_id: str) -> bool:
    """A person reads only their own inbox; admins and Grid+ services read any."""
    return role in ("admin", "service") or subject == recipient_id
