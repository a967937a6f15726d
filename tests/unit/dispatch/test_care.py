"""The care-visit clock rule (domain/care.py): due a full interval after the last care visit or
the registration, yellow in the last quarter, red past due; overrides in seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.dispatch.config import DispatchSettings
from gridplus.dispatch.domain.care import (
    CareClock,
    check_visit,
    interval_seconds,
    parse_interval_overrides,
)
from gridplus.dispatch.domain.time_limits import Light
from gridplus.kit.config import ConfigError, Env

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
WEEK = 7 * 86_400


def clock(**changes: object) -> CareClock:
    values: dict[str, object] = {
        "member_id": "m-1",
        "household_id": "hh-1",
        "grid_code": "MN0502",
        "grid_path": ("1", "MN05", "MN0502"),
        "care_groups": ("ELDERLY_ALONE",),
        "interval_days": 7,
        "interval_seconds": WEEK,
        "registered_at": T0,
    }
    values.update(changes)
    return CareClock(**values)  # type: ignore[arg-type]


def test_due_a_week_after_registration_yellow_for_the_last_quarter_then_red() -> None:
    care = clock()
    assert care.due_at == T0 + timedelta(days=7)
    assert care.yellow_at == T0 + timedelta(days=5, hours=6)
    assert care.light(T0 + timedelta(days=5, hours=5, minutes=59)) is Light.GREEN
    assert care.light(T0 + timedelta(days=5, hours=6)) is Light.YELLOW
    assert care.light(T0 + timedelta(days=7)) is Light.RED


def test_a_visit_restarts_the_clock_and_says_whether_it_came_in_time() -> None:
    care = clock()
    late = T0 + timedelta(days=8)
    check = check_visit(care, late)
    assert check.due_at == T0 + timedelta(days=7) and not check.on_time
    after = care.visited(late)
    assert after.due_at == late + timedelta(days=7)
    assert after.light(late + timedelta(days=1)) is Light.GREEN
    # A visit entered late, older than the last one, moves nothing.
    assert after.visited(T0 + timedelta(days=3)) == after
    assert check_visit(after, late + timedelta(days=6)).on_time


def test_one_missed_due_time_is_reported_once() -> None:
    care = clock()
    reported = clock(reported_due_at=care.due_at)
    assert not care.overdue_reported and reported.overdue_reported
    assert not reported.visited(T0 + timedelta(days=9)).overdue_reported  # a new due time


def test_the_shortest_overridden_interval_replaces_the_days() -> None:
    overrides = parse_interval_overrides("ELDERLY_ALONE=20, DISABLED=60")
    assert overrides == {"ELDERLY_ALONE": 20, "DISABLED": 60}
    assert interval_seconds(("DISABLED", "ELDERLY_ALONE"), 7, overrides) == 20
    assert interval_seconds(("SUBSISTENCE",), 30, overrides) == 30 * 86_400
    assert interval_seconds(("SUBSISTENCE",), 0, {}) == 86_400  # never a zero interval


@pytest.mark.parametrize("text", ["ELDERLY_ALONE", "=5", "ELDERLY_ALONE=x", "DISABLED=0"])
def test_a_bad_override_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval_overrides(text)


def test_the_settings_read_the_tolerance_and_the_override() -> None:
    defaults = DispatchSettings.from_env(Env({}))
    assert defaults.visit_tolerance_meters == 100.0 and defaults.care_overrides == {}
    settings = DispatchSettings.from_env(
        Env(
            {
                "GRIDPLUS_DISPATCH_VISIT_TOLERANCE_METERS": "30",
                "GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE": "ELDERLY_ALONE=20",
            }
        )
    )
    assert settings.visit_tolerance_meters == 30.0
    assert settings.care_overrides == {"ELDERLY_ALONE": 20}
    with pytest.raises(ConfigError, match="GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE"):
        DispatchSettings.from_env(Env({"GRIDPLUS_DISPATCH_CARE_INTERVAL_OVERRIDE": "x"}))
