"""The facts notification reacts to, as plain values: what the rules read of each event.

Other services publish protobuf events; api/convert.py converts each one it has a rule for
into one of these (instants as aware UTC datetimes, absent ones as None), so the rules never
touch a wire format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PetitionAssigned:
    petition_id: str
    grid_code: str
    assignee_id: str  # empty: routed to a department, nobody in person
    deadline: datetime | None


@dataclass(frozen=True)
class PetitionStatusChanged:
    petition_id: str
    to_status: str  # lower case, e.g. "resolved", "closed", "rejected", "verified"


@dataclass(frozen=True)
class PetitionMerged:
    petition_id: str  # the duplicate
    survivor_id: str


@dataclass(frozen=True)
class PetitionOverdue:
    petition_id: str
    grid_code: str
    assignee_id: str
    department_code: str
    deadline: datetime | None


@dataclass(frozen=True)
class PetitionEscalated:
    petition_id: str
    grid_code: str
    rung: int
    person_ids: tuple[str, ...]


@dataclass(frozen=True)
class AssignmentTransferred:
    petition_id: str
    to_assignee_id: str


@dataclass(frozen=True)
class AssignmentRefused:
    petition_id: str
    department_code: str
    refusal_count: int
    arbitrator_id: str


@dataclass(frozen=True)
class WhistleBlown:
    petition_id: str
    grid_code: str
    department_codes: tuple[str, ...]
    report_deadline: datetime | None


@dataclass(frozen=True)
class WhistleReportOverdue:
    petition_id: str
    department_code: str
    deadline: datetime | None


@dataclass(frozen=True)
class CareVisitOverdue:
    """A special-care member not visited by their due time (dispatch's care-visit clock)."""

    member_id: str
    household_id: str
    grid_code: str
    care_groups: tuple[str, ...]
    due_at: datetime | None
    last_visited_at: datetime | None  # None: never visited


@dataclass(frozen=True)
class DigestCategory:
    category: str
    count: int
    previous_count: int
    rising: bool


@dataclass(frozen=True)
class GridDigestReady:
    """Evaluation's weekly digest (周报) of one grid, for its chiefs."""

    grid_code: str
    period_start: datetime | None
    period_end: datetime | None  # exclusive
    petitions_submitted: int
    petitions_closed: int
    top_categories: tuple[DigestCategory, ...]
    repeat_locations: int
    visit_coverage: float  # 0..1
    care_visits_on_time: float  # 0..1; negative when none were due
    care_visits_overdue: int


Fact = (
    PetitionAssigned
    | PetitionStatusChanged
    | PetitionMerged
    | PetitionOverdue
    | PetitionEscalated
    | AssignmentTransferred
    | AssignmentRefused
    | WhistleBlown
    | WhistleReportOverdue
    | CareVisitOverdue
    | GridDigestReady
)


@dataclass(frozen=True)
class Received:
    """One consumed event: its envelope, the fact the rules read (None when no rule wants it)
    and, for webhook subscribers, the event as the JSON document they are POSTed."""

    event_id: str
    event_type: str  # the CloudEvents ce_type: the payload's full protobuf name
    time: datetime
    petition_id: str  # empty for events not about one petition (care visits, digests)
    fact: Fact | None
    # The JSON text, or how to write it: most event types have no webhook subscriber, and
    # writing the document costs more than the rest of such an event's handling.
    document: str | Callable[[], str]

    def webhook_document(self) -> str:
        return self.document if isinstance(self.document, str) else self.document()
