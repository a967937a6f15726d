"""What a person is told: a notice for one recipient about one fact."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NoticeKind(StrEnum):
    """Why a person is told something; one template pair per kind (see templates.py)."""

    PETITION_ASSIGNED = "petition_assigned"


class Channel(StrEnum):
    """Where a notice is delivered. Email, webhooks and SMS come later."""

    INBOX = "inbox"


@dataclass(frozen=True)
class Notice:
    recipient_id: str
    kind: NoticeKind
    petition_id: str  # empty for notices not about one petition (bulletins)
    title: str
    body: str
