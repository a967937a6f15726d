"""The petition taxonomy as dispatch knows it: fixed category codes, their names, priority and
step time limits, and how a petition's category was chosen.

Codes are fixed across services: the Chinese top-level classes (`urban_rural_construction`,
`transport`, ...) plus `other`, and NYC 311 complaint types as `nyc.<slug>`. Grid-registry owns the
taxonomy (GetCategory); `BUILT_IN` is the copy dispatch falls back on while grid-registry does not
know a code (or does not answer GetCategory yet), so routing never stops for want of a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

OTHER = "other"
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


# Step limits when a category states none, by priority: (verify minutes, handle minutes).
DEFAULT_LIMITS: dict[Priority, tuple[int, int]] = {
    Priority.URGENT: (60, 24 * 60),
    Priority.HIGH: (4 * 60, 2 * 24 * 60),
    Priority.NORMAL: (24 * 60, 5 * 24 * 60),
    Priority.LOW: (2 * 24 * 60, 10 * 24 * 60),
}


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    priority: Priority = Priority.NORMAL
    verify_minutes: int = 0  # 0: the priority's default
    handle_minutes: int = 0
    business_calendar: bool = False

    def limits(self) -> tuple[int, int]:
        """(verify, handle) in minutes: the category's own, else its priority's default."""
        verify, handle = DEFAULT_LIMITS[self.priority]
        return (self.verify_minutes or verify, self.handle_minutes or handle)


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


def _top(code: str, zh: str, en: str, priority: Priority = Priority.NORMAL) -> Category:
    # Chinese government hotlines count handling in working days: the business calendar applies.
    return Category(code, zh, en, code, priority, business_calendar=True)


TOP_LEVEL: tuple[Category, ...] = (
    _top("urban_rural_construction", "城乡建设", "Urban and rural construction"),
    _top("agriculture_rural", "农村农业", "Agriculture and rural affairs"),
    _top("politics_law", "政法", "Politics and law"),
    _top("education_culture_sports", "教育文体", "Education, culture and sports"),
    _top("labour_social_security", "劳动和社会保障", "Labour and social security"),
    _top("civil_affairs", "民政", "Civil affairs"),
    _top("party_government_affairs", "党务政务", "Party and government affairs"),
    _top("economic_management", "经济管理", "Economic management"),
    _top("health_family_planning", "卫生计生", "Health and family planning"),
    _top("commerce_tourism", "商贸旅游", "Commerce and tourism"),
    _top("environmental_protection", "环境保护", "Environmental protection"),
    _top("transport", "交通运输", "Transport"),
    _top("discipline_inspection", "纪检监察", "Discipline inspection"),
    _top("land_resources", "国土资源", "Land and resources"),
    _top("science_technology_it", "科技与信息产业", "Science, technology and IT"),
    _top(OTHER, "其他", "Other"),
)
TOP_LEVEL_BY_NAME_ZH = {category.name_zh: category.code for category in TOP_LEVEL}

# NYC complaint types with their own urgency; any other `nyc.*` code is a NORMAL one of its own.
_NYC_PRIORITY: dict[str, Priority] = {
    "nyc.heat_hot_water": Priority.HIGH,  # winter heat: a health hazard within hours
    "nyc.heating": Priority.HIGH,
    "nyc.water_system": Priority.HIGH,
    "nyc.sewer": Priority.HIGH,
    "nyc.traffic_signal_condition": Priority.URGENT,  # a dark signal endangers people now
    "nyc.blocked_driveway": Priority.HIGH,
    "nyc.illegal_parking": Priority.NORMAL,
}

BUILT_IN: dict[str, Category] = {category.code: category for category in TOP_LEVEL}


def built_in(code: str) -> Category | None:
    """The built-in entry for a fixed code; NYC codes are known by shape, named from the slug."""
    if code in BUILT_IN:
        return BUILT_IN[code]
    if code.startswith(NYC_PREFIX) and len(code) > len(NYC_PREFIX):
        name = code[len(NYC_PREFIX) :].replace("_", " ").capitalize()
        return Category(code, name, name, code, _NYC_PRIORITY.get(code, Priority.NORMAL))
    return None


def given(category: Category) -> CategoryChoice:
    return CategoryChoice(category, CategorySource.GIVEN, 1.0, f"category {category.code} given")


def triaged(category: Category, person_id: str) -> CategoryChoice:
    why = f"category {category.code} chosen in triage by {person_id}"
    return CategoryChoice(category, CategorySource.TRIAGE, 1.0, why)
