"""What dispatch's aggregates record as they change: plain values, turned into the protobuf events
of `gridplus.events.v1` once, at the edge (`api/convert.py`), and written to the outbox in the
transaction of the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridplus.dispatch.domain.categories import Category, CategoryChoice
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace
from gridplus.dispatch.domain.time_limits import Step, StepClock


@dataclass(frozen=True)
class PetitionAssigned:
    petition_id: str
    grid: GridPlace
    assignee_id: str
    assignee_role: AssigneeRole
    choice: CategoryChoice
    deadline: datetime
    yellow_at: datetime  # the verify step's light turns yellow (a quarter of its time left)
    assigned_at: datetime
    reasons: tuple[str, ...]
    department_code: str


@dataclass(frozen=True)
class PetitionSentToTriage:
    petition_id: str
    grid: GridPlace
    best_guess: Category | None  # None when the classifier had no guess
    confidence: float
    reason: str
    sent_at: datetime


@dataclass(frozen=True)
class PetitionRoutingFailed:
    petition_id: str
    reason_code: str
    reason: str
    failed_at: datetime


@dataclass(frozen=True)
class PetitionDeadlineChanged:
    petition_id: str
    clock: StepClock
    changed_at: datetime
    reason: str


@dataclass(frozen=True)
class AssignmentTransferred:
    petition_id: str
    from_assignee_id: str
    to_assignee_id: str
    from_department_code: str
    to_department_code: str
    reason: str
    actor_id: str
    transferred_at: datetime


@dataclass(frozen=True)
class AssignmentRefused:
    petition_id: str
    department_code: str
    actor_id: str
    reason: str
    refusal_count: int
    arbitrator_id: str
    refused_at: datetime


@dataclass(frozen=True)
class PetitionOverdue:
    petition_id: str
    grid: GridPlace
    assignee_id: str
    department_code: str
    category: str
    step: Step
    deadline: datetime
    detected_at: datetime


@dataclass(frozen=True)
class PetitionEscalated:
    petition_id: str
    grid: GridPlace
    rung: int
    person_ids: tuple[str, ...]
    escalated_at: datetime


@dataclass(frozen=True)
class WhistleBlown:
    whistle_id: str
    petition_id: str
    grid: GridPlace
    blown_by: str
    department_codes: tuple[str, ...]
    reason: str
    blown_at: datetime
    report_deadline: datetime


@dataclass(frozen=True)
class WhistleReported:
    whistle_id: str
    petition_id: str
    department_code: str
    reporter_id: str
    note: str
    reported_at: datetime
    on_time: bool


@dataclass(frozen=True)
class WhistleReportOverdue:
    whistle_id: str
    petition_id: str
    department_code: str
    deadline: datetime
    detected_at: datetime


DomainEvent = (
    PetitionAssigned
    | PetitionSentToTriage
    | PetitionRoutingFailed
    | PetitionDeadlineChanged
    | AssignmentTransferred
    | AssignmentRefused
    | PetitionOverdue
    | PetitionEscalated
    | WhistleBlown
    | WhistleReported
    | WhistleReportOverdue
)
