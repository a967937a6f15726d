"""Small value objects a petition is made of."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridplus.kit.roles import Role


class Source(StrEnum):
    """The channel a petition came in through."""

    RESIDENT = "RESIDENT"
    GRID_WORKER = "GRID_WORKER"
    OPEN311 = "OPEN311"
    HOTLINE = "HOTLINE"
    VISIT = "VISIT"  # a finding of a grid worker's household visit (走访)


class Publication(StrEnum):
    """Whether a petition's free text (description, media link, staff notes) may be published
    on the public Open311 views. Category, status, dates, grid and a coarse point always are."""

    PRIVATE = "PRIVATE"  # the default: the reporter did not choose to publish it
    REPORTER = "REPORTER"  # the reporter chose to publish it when reporting
    STAFF_APPROVED = "STAFF_APPROVED"  # staff made it public (SetPetitionPublication)
    STAFF_WITHHELD = "STAFF_WITHHELD"  # staff withheld it, whatever the reporter chose

    @property
    def public(self) -> bool:
        return self in (Publication.REPORTER, Publication.STAFF_APPROVED)


@dataclass(frozen=True)
class Actor:
    """Who made a change: a person id with their role, or a service name with Role.SERVICE."""

    id: str
    role: Role


@dataclass(frozen=True)
class GeoPoint:
    """A WGS84 point in decimal degrees."""

    lat: float
    lon: float


@dataclass(frozen=True)
class GridRef:
    """The level-3 grid a petition was routed to, with its path from level 1 down to it."""

    code: str
    level: int
    path: tuple[str, ...]
    grid_set_version: int


class CategorySource(StrEnum):
    """How a petition's category was chosen."""

    GIVEN = "GIVEN"  # by the reporter or by staff
    CLASSIFIED = "CLASSIFIED"  # by dispatch's text classifier, confidence above its threshold
    TRIAGE = "TRIAGE"  # by a person from the manual triage queue


@dataclass(frozen=True)
class CategoryChoice:
    """The category dispatch chose, with names in both languages and how it was chosen."""

    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    source: CategorySource
    confidence: float  # 0..1; meaningful when source is CLASSIFIED


@dataclass(frozen=True)
class Contact:
    """How to reach a reporter (personal data: encrypted at rest, masked in answers, never in
    logs or events). Empty strings are unknown."""

    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    language: str = ""  # preferred language for notices, BCP 47 ("zh", "en"); not secret

    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.email or self.address or self.language)
