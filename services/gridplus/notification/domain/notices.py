"""What a person is told: a notice for one recipient about one fact, and who that recipient is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NoticeKind(StrEnum):
    """Why a person is told something; one template pair per kind (see templates.py)."""

    PETITION_ASSIGNED = "petition_assigned"  # to the assignee: work arrives
    PETITION_ROUTED = "petition_routed"  # to the reporters: their petition has a handler
    PETITION_RESOLVED = "petition_resolved"  # to the reporters
    PETITION_CLOSED = "petition_closed"  # to the reporters
    PETITION_REJECTED = "petition_rejected"  # to the reporters
    PETITION_MERGED = "petition_merged"  # to the duplicate's reporters
    PETITION_OVERDUE = "petition_overdue"  # to the assignee, grid chief, department head
    PETITION_ESCALATED = "petition_escalated"  # to the people of the escalation rung
    ASSIGNMENT_TRANSFERRED = "assignment_transferred"  # to the new handler
    ASSIGNMENT_REFUSED = "assignment_refused"  # to the arbitrator: work comes back
    WHISTLE_BLOWN = "whistle_blown"  # to the summoned departments
    WHISTLE_REPORT_OVERDUE = "whistle_report_overdue"  # to the late department's head
    CARE_VISIT_OVERDUE = "care_visit_overdue"  # to the grid's workers and chief (5类人群)
    GRID_DIGEST = "grid_digest"  # to the grid's chiefs: the weekly digest (周报)
    BULLETIN = "bulletin"  # to everyone in a grid subtree (辖区大事要闻, 宣传报道)


class Channel(StrEnum):
    """Where a notice is delivered."""

    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"
    SMS = "sms"


@dataclass(frozen=True)
class Recipient:
    """A person and how to reach them; empty contacts are unknown (inbox only)."""

    person_id: str
    email: str = ""
    phone: str = ""
    language: str = ""

    def __repr__(self) -> str:
        # Contacts are personal data: a stray log line or traceback shows the id only.
        return f"Recipient({self.person_id!r})"


@dataclass(frozen=True)
class Notice:
    recipient_id: str
    kind: NoticeKind
    petition_id: str  # empty for notices not about one petition (bulletins, care, digests)
    title: str
    body: str
