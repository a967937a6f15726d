"""Dispatch's own settings (GRIDPLUS_DISPATCH_*), read once at start; a bad value stops the
service naming the variable.

| variable | default | meaning |
|---|---|---|
| GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD | 0.3 | below this confidence a petition goes to triage |
| GRIDPLUS_DISPATCH_CALENDAR_ZONE | Asia/Shanghai | time zone of the business calendar |
| GRIDPLUS_DISPATCH_WORKING_HOURS | 09:00-12:00,13:30-17:30 | working periods of a day |
| GRIDPLUS_DISPATCH_WORKDAYS | 1-5 | ISO weekdays that are working days (Monday=1) |
| GRIDPLUS_DISPATCH_HOLIDAYS | (none) | dates off, e.g. 2026-10-01,2026-10-02 |
| GRIDPLUS_DISPATCH_MAKEUP_WORKDAYS | (none) | weekend dates worked (调休) |
| GRIDPLUS_DISPATCH_SLA_OVERRIDE | (none) | `code=verify_s[:handle_s];...` (see below) |
| GRIDPLUS_DISPATCH_ESCALATION_LADDER | (see below) | escalation rungs |
| GRIDPLUS_DISPATCH_SCAN_SECONDS | 5 | deadline and care clock scan interval |
| GRIDPLUS_DISPATCH_LIGHTS_SECONDS | 15 | how often the light board and care gauges are recounted |
| GRIDPLUS_DISPATCH_CATEGORY_CACHE_SECONDS | 300 | cache time of categories and departments |
| GRIDPLUS_DISPATCH_WHISTLE_REPORT_MINUTES | 30 | time a summoned department has to report |
| GRIDPLUS_DISPATCH_VISIT_TOLERANCE_METERS | 100 | metres a visit may lie outside its grid |
| GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE | (none) | `GROUP=SECONDS,...` care intervals |

GRIDPLUS_DISPATCH_SLA_OVERRIDE replaces a category's step limits with wall-clock seconds, for
tests and demos (the Prometheus end-to-end test uses a few seconds): `nyc.noise_residential=5:30`.
GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE does the same for care groups (`ELDERLY_ALONE=20`: a
care member of that group is due a visit 20 s after the last), so a clock runs out in a test.
Diary days are local days in GRIDPLUS_DISPATCH_CALENDAR_ZONE, the platform's time zone.
GRIDPLUS_DISPATCH_ESCALATION_LADDER lists rungs `seconds-after-deadline:target+target`, targets
grid_chief, level2_chief, department_head; default `0:grid_chief;3600:level2_chief+department_head`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from gridplus.dispatch.domain.calendar import (
    BusinessCalendar,
    parse_dates,
    parse_periods,
    parse_weekdays,
)
from gridplus.dispatch.domain.care import parse_interval_overrides
from gridplus.dispatch.domain.escalation import DEFAULT_LADDER, Ladder, parse_ladder
from gridplus.dispatch.domain.time_limits import TimePolicy, parse_overrides
from gridplus.kit.config import ConfigError, Env

T = TypeVar("T")


@dataclass(frozen=True)
class DispatchSettings:
    threshold: float
    policy: TimePolicy
    ladder: Ladder
    scan_seconds: float
    lights_seconds: float
    cache_seconds: float
    whistle_report_minutes: int
    visit_tolerance_meters: float = 100.0
    care_overrides: dict[str, int] = field(default_factory=dict)
    # How long a grid-set version grid-registry confirmed answers locate and members from the
    # cache (handlers/grid_cache.py); 0: every petition asks grid-registry, as before.
    grid_confirm_seconds: float = 5.0

    @classmethod
    def from_env(cls, env: Env) -> DispatchSettings:
        threshold = env.number("GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD", 0.3, minimum=0.0)
        if threshold > 1:
            raise ConfigError("GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD must be at most 1")
        calendar = _parsed(
            "GRIDPLUS_DISPATCH_CALENDAR_ZONE, _WORKING_HOURS, _WORKDAYS, _HOLIDAYS or "
            "_MAKEUP_WORKDAYS",
            lambda: BusinessCalendar(
                zone=env.text("GRIDPLUS_DISPATCH_CALENDAR_ZONE", "Asia/Shanghai"),
                periods=parse_periods(
                    env.text("GRIDPLUS_DISPATCH_WORKING_HOURS", "09:00-12:00,13:30-17:30")
                ),
                weekdays=parse_weekdays(env.text("GRIDPLUS_DISPATCH_WORKDAYS", "1-5")),
                holidays=parse_dates(env.text("GRIDPLUS_DISPATCH_HOLIDAYS", "")),
                workdays=parse_dates(env.text("GRIDPLUS_DISPATCH_MAKEUP_WORKDAYS", "")),
            ),
        )
        overrides = _parsed(
            "GRIDPLUS_DISPATCH_SLA_OVERRIDE",
            lambda: parse_overrides(env.text("GRIDPLUS_DISPATCH_SLA_OVERRIDE", "")),
        )
        ladder = _parsed(
            "GRIDPLUS_DISPATCH_ESCALATION_LADDER",
            lambda: parse_ladder(env.text("GRIDPLUS_DISPATCH_ESCALATION_LADDER", DEFAULT_LADDER)),
        )
        return cls(
            threshold=threshold,
            policy=TimePolicy(calendar, overrides),
            ladder=ladder,
            scan_seconds=env.number("GRIDPLUS_DISPATCH_SCAN_SECONDS", 5.0, minimum=0.1),
            lights_seconds=env.number("GRIDPLUS_DISPATCH_LIGHTS_SECONDS", 15.0, minimum=0.1),
            whistle_report_minutes=env.integer(
                "GRIDPLUS_DISPATCH_WHISTLE_REPORT_MINUTES", 30, minimum=1
            ),
            cache_seconds=env.number(
                "GRIDPLUS_DISPATCH_CATEGORY_CACHE_SECONDS", 300.0, minimum=0.0
            ),
            grid_confirm_seconds=env.number(
                "GRIDPLUS_DISPATCH_GRID_CONFIRM_SECONDS", 5.0, minimum=0.0
            ),
            visit_tolerance_meters=env.number(
                "GRIDPLUS_DISPATCH_VISIT_TOLERANCE_METERS", 100.0, minimum=0.0
            ),
            care_overrides=_parsed(
                "GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE",
                lambda: parse_interval_overrides(
                    env.text("GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE", "")
                ),
            ),
        )


def _parsed(names: str, build: Callable[[], T]) -> T:
    try:
        return build()
    except (ValueError, KeyError) as exc:  # zoneinfo raises KeyError-like errors for bad zones
        raise ConfigError(f"{names}: {exc}") from None
