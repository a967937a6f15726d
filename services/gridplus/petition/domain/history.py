"""A petition's history: every status change and every note, with actor, time and note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.values import Actor


class EntryKind(StrEnum):
    STATUS = "STATUS"  # a status change
    NOTE = "NOTE"  # a note added by staff; the status stays


@dataclass(frozen=True)
class HistoryEntry:
    from_status: Status | None  # None for the submission itself
    to_status: Status
    actor: Actor
    note: str
    at: datetime
    kind: EntryKind = EntryKind.STATUS
