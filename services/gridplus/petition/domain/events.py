"""Facts a petition records as it changes (cosmic style: the aggregate collects them in
`petition.events`; the handler writes them to the outbox in the same transaction). They carry
ids, never a reporter's personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.values import Actor, GeoPoint, GridRef, Source


@dataclass(frozen=True)
class HistoryOrigin:
    """Where an imported petition came from (a 311 export's request) and the grid it was
    located in; its events say so, and consumers start no work for them."""

    source: str  # e.g. "nyc311-csv", "open311-json"
    source_request_id: str
    grid: GridRef


@dataclass(frozen=True)
class VisitOrigin:
    """The household visit whose finding raised a petition: dispatch routes the petition to
    the visit's grid rather than locating its point again."""

    visit_id: str
    finding_index: int  # the finding's position in the visit, from 1
    grid_code: str  # the household's smallest grid
    worker_id: str  # who made the visit


@dataclass(frozen=True)
class PetitionSubmitted:
    petition_id: str
    title: str
    description: str
    category: str | None
    location: GeoPoint
    reporter_id: str
    source: Source
    at: datetime
    imported: HistoryOrigin | None = None  # set only on history imported from another system
    visit: VisitOrigin | None = None  # set only on a petition raised by a visit's finding


@dataclass(frozen=True)
class PetitionStatusChanged:
    petition_id: str
    from_status: Status
    to_status: Status
    actor: Actor
    note: str
    at: datetime
    category: str | None = None  # the petition's category after the change
    # The handling deadline staff chose themselves on verifying (None: dispatch's SLA rules).
    handling_deadline: datetime | None = None
    imported: bool = False  # part of an imported petition's history (no one told, no clock)


@dataclass(frozen=True)
class PetitionMerged:
    petition_id: str  # the duplicate
    survivor_id: str
    actor: Actor
    at: datetime


DomainEvent = PetitionSubmitted | PetitionStatusChanged | PetitionMerged
