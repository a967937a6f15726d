"""Care-visit clocks of special-care residents (5类人群), pure: instants are passed in.

The rule (common to the platform): a care member is due a visit `interval` after their last care
visit, or after their registration when never visited; the light is yellow when less than a
quarter of the interval is left, red once past due. A visit to the household counts as a care
visit for each of its care members and restarts their clocks. CareVisitOverdue goes out once per
missed due time: `reported_due_at` remembers the due time already reported, so a scan that finds
it again (or a second replica) publishes nothing, and a visit that sets a new due time makes the
next miss reportable again.

The interval is the member's shortest group interval in days, unless
GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE names one of their groups (`GROUP=SECONDS,...`, for tests
and demos): then the shortest overridden interval replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gridplus.dispatch.domain.time_limits import Light, light

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class CareClock:
    member_id: str
    household_id: str
    grid_code: str
    grid_path: tuple[str, ...]  # level-1 code first, down to and including grid_code
    care_groups: tuple[str, ...]
    interval_days: int  # as grid-registry states it
    interval_seconds: int  # what the clock runs on (the override, or interval_days)
    registered_at: datetime
    last_visited_at: datetime | None = None
    reported_due_at: datetime | None = None  # the due time CareVisitOverdue went out for

    @property
    def due_at(self) -> datetime:
        start = self.last_visited_at or self.registered_at
        return start + timedelta(seconds=self.interval_seconds)

    @property
    def yellow_at(self) -> datetime:
        return self.due_at - timedelta(seconds=self.interval_seconds / 4)

    def light(self, now: datetime) -> Light:
        return light(self.due_at, self.yellow_at, now)

    @property
    def overdue_reported(self) -> bool:
        return self.reported_due_at == self.due_at

    def visited(self, at: datetime) -> CareClock:
        """The clock after a care visit at `at` (a late-entered older visit moves nothing)."""
        if self.last_visited_at is not None and at <= self.last_visited_at:
            return self
        return replace(self, last_visited_at=at)


@dataclass(frozen=True)
class CareCheck:
    """One care member's care visit: the due time before it and whether it came in time."""

    member_id: str
    due_at: datetime
    on_time: bool


def check_visit(clock: CareClock, visited_at: datetime) -> CareCheck:
    return CareCheck(clock.member_id, clock.due_at, visited_at <= clock.due_at)


def interval_seconds(
    care_groups: Iterable[str], interval_days: int, overrides: Mapping[str, int]
) -> int:
    overridden = [overrides[group] for group in care_groups if group in overrides]
    if overridden:
        return min(overridden)
    return max(1, interval_days) * DAY_SECONDS


def parse_interval_overrides(text: str) -> dict[str, int]:
    """`ELDERLY_ALONE=30,DISABLED=60` -> {group: seconds}."""
    overrides: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        group, sep, seconds = part.partition("=")
        if not sep or not group.strip():
            raise ValueError(f"{part!r} is not GROUP=SECONDS")
        value = int(seconds)
        if value <= 0:
            raise ValueError(f"{part!r}: the interval must be positive")
        overrides[group.strip()] = value
    return overrides
