"""What staff ask of a petition (the staff RPCs), as commands the handlers apply once per
request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gridplus.petition.domain.photos import CleanPhoto


@dataclass(frozen=True)
class Verify:
    category: str | None = None
    deadline: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Merge:
    survivor_id: str


@dataclass(frozen=True)
class Resolve:
    note: str
    photos: list[CleanPhoto] = field(default_factory=list)


@dataclass(frozen=True)
class Reopen:
    note: str = ""


@dataclass(frozen=True)
class AddNote:
    note: str


@dataclass(frozen=True)
class SetPublication:
    publish: bool
    note: str = ""


Command = Verify | Reject | Merge | Resolve | Reopen | AddNote | SetPublication
