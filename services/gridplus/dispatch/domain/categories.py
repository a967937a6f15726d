"""A petition's category as dispatch uses it, and how it was chosen.

Grid-registry owns the taxonomy (codes, names, priorities, step limits, business calendar):
dispatch keeps no copy of it and asks (`ports.GridDirectory.category`, cached by the client).
Codes are shared across services: the Chinese top-level classes and their subcategories, `other`,
and NYC 311 complaint types as `nyc.<slug>` (`nyc_code`, how the classifier names its classes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

OTHER = "other"  # the registry's catch-all class
NYC_PREFIX = "nyc."


class Priority(IntEnum):
    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4


class CategorySource(StrEnum):
    GIVEN = "given"  # the reporter (or an Open311 client) named it
    CLASSIFIED = "classified"  # the text classifier, above the confidence threshold
    TRIAGE = "triage"  # a person in the triage queue chose it


@dataclass(frozen=True)
class Category:
    """A category as grid-registry states it (an assignment keeps its code and names)."""

    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    priority: Priority = Priority.NORMAL
    verify_minutes: int = 0
    handle_minutes: int = 0
    business_calendar: bool = False

    @property
    def top_level(self) -> bool:
        return self.code == self.top_level_code

    def limits(self) -> tuple[int, int]:
        """(verify, handle) in minutes, as grid-registry states them."""
        return (self.verify_minutes, self.handle_minutes)


@dataclass(frozen=True)
class CategoryChoice:
    """The category a petition is filed under, and how it was chosen."""

    category: Category
    source: CategorySource
    confidence: float  # 1.0 when given or triaged
    reason: str  # human-readable: why this category

    @property
    def code(self) -> str:
        return self.category.code


def nyc_code(complaint_type: str) -> str:
    """`Noise - Residential` -> `nyc.noise_residential`, `HEAT/HOT WATER` -> `nyc.heat_hot_water`:
    lowercase, each run of other characters one underscore, none at the ends."""
    slug = re.sub(r"[^a-z0-9]+", "_", complaint_type.lower()).strip("_")
    return NYC_PREFIX + slug


def given(category: Category) -> CategoryChoice:
    return CategoryChoice(category, CategorySource.GIVEN, 1.0, f"category {category.code} given")


def triaged(category: Category, person_id: str) -> CategoryChoice:
    why = f"category {category.code} chosen in triage by {person_id}"
    return CategoryChoice(category, CategorySource.TRIAGE, 1.0, why)
