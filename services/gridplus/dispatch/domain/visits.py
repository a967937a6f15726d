"""Household visits (走访入户) and the diary (民情日记), pure: the rules a recorded visit obeys.

- visited_at: not in the future (a minute of clock skew allowed), at most 7 days back;
- the GPS point lies in the household's grid or within the tolerance of its outline;
- a finding that raises a petition names that petition in advance: uuid5 of
  "gridplus:visit:{visit_id}:{index}", so petition creates exactly that id once, however often it
  receives the event;
- a diary day is the local date of visited_at in the platform's time zone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gridplus.dispatch.domain.care import CareCheck
from gridplus.kit.errors import InvalidArgument

MAX_AGE = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=1)
MAX_NOTES = 4000
MAX_TITLE = 200
MAX_FINDINGS = 20
MAX_DIARY_DAYS = 366


@dataclass(frozen=True)
class Finding:
    index: int  # from 1, in the order given
    category: str
    title: str
    description: str
    raise_petition: bool
    petition_id: str = ""


@dataclass(frozen=True)
class Household:
    """Dispatch's replica of a household: ids, place and grid only, no personal data."""

    household_id: str
    grid_code: str
    grid_path: tuple[str, ...]
    place_code: str
    version: int
    removed: bool = False


@dataclass(frozen=True)
class Visit:
    visit_id: str
    household_id: str
    grid_code: str
    grid_path: tuple[str, ...]
    worker_id: str
    visited_at: datetime
    location: tuple[float, float]  # (lat, lon)
    distance_meters: float
    notes: str
    findings: tuple[Finding, ...]
    photo_count: int
    recorded_at: datetime
    local_day: str  # YYYY-MM-DD in the platform's time zone
    care_checks: tuple[CareCheck, ...] = field(default=())

    @property
    def care_member_ids(self) -> tuple[str, ...]:
        return tuple(check.member_id for check in self.care_checks)


def finding_petition_id(visit_id: str, index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gridplus:visit:{visit_id}:{index}"))


def numbered(visit_id: str, findings: list[Finding]) -> tuple[Finding, ...]:
    """Findings numbered from 1, each raising a petition given its id."""
    return tuple(
        Finding(
            index=position,
            category=found.category,
            title=found.title,
            description=found.description,
            raise_petition=found.raise_petition,
            petition_id=finding_petition_id(visit_id, position) if found.raise_petition else "",
        )
        for position, found in enumerate(findings, start=1)
    )


def check_visited_at(visited_at: datetime, now: datetime) -> None:
    if visited_at > now + CLOCK_SKEW:
        raise InvalidArgument.single("visited_at", "must not be in the future")
    if visited_at < now - MAX_AGE:
        raise InvalidArgument.single("visited_at", "must be at most 7 days back")


def check_distance(distance_meters: float, tolerance_meters: float, grid_code: str) -> None:
    if distance_meters > tolerance_meters:
        raise InvalidArgument.single(
            "location",
            f"lies {distance_meters:.0f} m outside grid {grid_code}, the household's grid "
            f"(tolerance {tolerance_meters:.0f} m)",
        )


def local_day(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).date().isoformat()


def parse_day(value: str, *, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument.single(field, "must be a date YYYY-MM-DD") from None


def diary_range(from_day: str, to_day: str, today: date) -> tuple[date, date]:
    """The inclusive local days of a diary request: to_day defaults to today, from_day to 30
    days before it; at most a year at once."""
    last = parse_day(to_day, field="to_day") if to_day else today
    first = parse_day(from_day, field="from_day") if from_day else last - timedelta(days=30)
    if first > last:
        raise InvalidArgument.single("from_day", "must not be after to_day")
    if (last - first).days >= MAX_DIARY_DAYS:
        raise InvalidArgument.single("from_day", f"at most {MAX_DIARY_DAYS} days at once")
    return first, last
