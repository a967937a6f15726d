"""Step clocks: the verify (核实研判) and handle (限时办理) deadlines, pause and resume, and lights.

A step's limit comes from its category (and the category's priority when it states none); it is
counted in working time when the category uses the business calendar, else in wall-clock time.
Pausing (waiting for the resident) stops the clock; resuming continues with the time that was left.
Changing the handler (transfer, refusal) never touches the clock. Pure: instants are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.categories import Category

YELLOW_FRACTION = 0.25  # yellow once less than a quarter of the step's time is left


class Step(StrEnum):
    VERIFY = "verify"  # 核实研判
    HANDLE = "handle"  # 限时办理


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Timeline(Protocol):
    def add(self, start: datetime, seconds: float) -> datetime: ...

    def working_seconds(self, start: datetime, end: datetime) -> float: ...


class WallClock:
    """Every second counts (categories without a business calendar)."""

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=max(0.0, seconds))

    def working_seconds(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds())


WALL_CLOCK = WallClock()


@dataclass(frozen=True)
class SlaOverride:
    """Limits in seconds that replace a category's (tests and demos: a very short limit)."""

    verify_seconds: int
    handle_seconds: int


@dataclass(frozen=True)
class TimePolicy:
    calendar: BusinessCalendar
    overrides: dict[str, SlaOverride]

    def limit_seconds(self, category: Category, step: Step) -> tuple[int, bool]:
        """(seconds, counted on the business calendar) for one step of `category`."""
        override = self.overrides.get(category.code)
        if override is not None:
            seconds = override.verify_seconds if step is Step.VERIFY else override.handle_seconds
            return seconds, False
        verify, handle = category.limits()
        minutes = verify if step is Step.VERIFY else handle
        return minutes * 60, category.business_calendar

    def timeline(self, business: bool) -> Timeline:
        return self.calendar if business else WALL_CLOCK

    def start(self, category: Category, step: Step, at: datetime) -> StepClock:
        seconds, business = self.limit_seconds(category, step)
        timeline = self.timeline(business)
        return StepClock(
            step=step,
            started_at=at,
            limit_seconds=seconds,
            business=business,
            deadline=timeline.add(at, seconds),
            yellow_at=timeline.add(at, seconds * (1 - YELLOW_FRACTION)),
        )

    def until(self, step: Step, at: datetime, deadline: datetime) -> StepClock:
        """A clock started at `at` that runs until an instant a person chose (e.g. staff's
        handling deadline at verification): wall-clock time, since the business calendar applies
        to limits, not to an explicit instant. A deadline before `at` is due at once."""
        deadline = max(deadline, at)
        seconds = (deadline - at).total_seconds()
        return StepClock(
            step=step,
            started_at=at,
            limit_seconds=int(seconds),
            business=False,
            deadline=deadline,
            yellow_at=WALL_CLOCK.add(at, seconds * (1 - YELLOW_FRACTION)),
        )

    def pause(self, clock: StepClock, at: datetime) -> StepClock:
        if clock.paused_at is not None:
            return clock
        left = self.timeline(clock.business).working_seconds(at, clock.deadline)
        return replace(clock, paused_at=at, remaining_seconds=left)

    def resume(self, clock: StepClock, at: datetime) -> StepClock:
        if clock.paused_at is None:
            return clock
        timeline = self.timeline(clock.business)
        left = clock.remaining_seconds
        until_yellow = max(0.0, left - clock.limit_seconds * YELLOW_FRACTION)
        return replace(
            clock,
            deadline=timeline.add(at, left),
            yellow_at=timeline.add(at, until_yellow),
            paused_at=None,
            remaining_seconds=0.0,
        )

    def reason(self, clock: StepClock, category: Category) -> str:
        how = "working time (business calendar)" if clock.business else "wall-clock time"
        return (
            f"{clock.step} step deadline {clock.deadline.isoformat()}: "
            f"{_human(clock.limit_seconds)} of {how} for category {category.code} "
            f"(priority {category.priority.name.lower()})"
        )


@dataclass(frozen=True)
class StepClock:
    step: Step
    started_at: datetime
    limit_seconds: int
    business: bool
    deadline: datetime
    yellow_at: datetime  # from here on less than a quarter of the step's time is left
    paused_at: datetime | None = None
    remaining_seconds: float = 0.0  # working time left when paused


def light(deadline: datetime, yellow_at: datetime, now: datetime) -> Light:
    if now >= deadline:
        return Light.RED
    if now >= yellow_at:
        return Light.YELLOW
    return Light.GREEN


def clock_light(clock: StepClock, now: datetime) -> Light:
    """A paused clock shows the light it had when it stopped."""
    return light(clock.deadline, clock.yellow_at, clock.paused_at or now)


def _human(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def parse_overrides(text: str) -> dict[str, SlaOverride]:
    """`nyc.noise_residential=20:60;transport=30` -> overrides (handle defaults to verify)."""
    overrides: dict[str, SlaOverride] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        code, sep, limits = part.partition("=")
        verify, _, handle = limits.partition(":")
        if not sep or not code.strip():
            raise ValueError(f"{part!r} is not category=verify_seconds[:handle_seconds]")
        seconds = int(verify)
        overrides[code.strip()] = SlaOverride(seconds, int(handle) if handle else seconds)
    return overrides
