"""Step clocks on the business calendar and the wall clock; pause, resume; lights; overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from gridplus.dispatch.domain.calendar import (
    BusinessCalendar,
    parse_dates,
    parse_periods,
    parse_weekdays,
)
from gridplus.dispatch.domain.categories import Category, Priority
from gridplus.dispatch.domain.time_limits import (
    Light,
    SlaOverride,
    Step,
    TimePolicy,
    clock_light,
    light,
    parse_overrides,
)

# 09:00-17:00 Beijing time = 01:00-09:00 UTC; 2026-11-27 is a Friday.
CALENDAR = BusinessCalendar(zone="Asia/Shanghai", periods=((time(9), time(17)),))
FRIDAY_4PM = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 16:00 in Beijing
WORKING = Category("w", "w", "w", "w", Priority.NORMAL, 8 * 60, 16 * 60, business_calendar=True)
WALL = Category("n", "n", "n", "n", Priority.NORMAL, 4 * 60, 24 * 60)
POLICY = TimePolicy(CALENDAR, {})


def test_working_hours_carry_over_the_weekend() -> None:
    # One hour on Friday, seven on Monday: Monday 16:00 Beijing.
    clock = POLICY.start(WORKING, Step.VERIFY, FRIDAY_4PM)
    assert clock.deadline == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert clock.business and clock.limit_seconds == 8 * 3600
    # A quarter (2 h) before the end in working time: Monday 14:00 Beijing.
    assert clock.yellow_at == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def test_holidays_are_skipped_and_make_up_days_worked() -> None:
    holiday = BusinessCalendar(
        zone="Asia/Shanghai",
        periods=((time(9), time(17)),),
        holidays=frozenset({date(2026, 11, 30)}),
        workdays=frozenset({date(2026, 11, 28)}),  # Saturday worked (调休)
    )
    deadline = holiday.add(FRIDAY_4PM, 8 * 3600)
    assert deadline == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # Saturday 16:00
    assert holiday.working_seconds(FRIDAY_4PM, deadline) == 8 * 3600


def test_a_start_outside_hours_waits_for_the_next_period() -> None:
    saturday_night = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert CALENDAR.add(saturday_night, 3600) == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_wall_clock_categories_count_every_second_and_the_handle_step_has_its_own_limit() -> None:
    verify = POLICY.start(WALL, Step.VERIFY, FRIDAY_4PM)
    handle = POLICY.start(WALL, Step.HANDLE, FRIDAY_4PM)
    assert verify.deadline == FRIDAY_4PM + timedelta(hours=4)
    assert handle.deadline == FRIDAY_4PM + timedelta(hours=24)
    assert POLICY.reason(verify, WALL) == (
        "verify step deadline 2026-11-27T12:00:00+00:00: 4 h of wall-clock time "
        "for category n (priority normal)"
    )


def test_lights_turn_yellow_with_a_quarter_left_and_red_at_the_deadline() -> None:
    clock = POLICY.start(WALL, Step.VERIFY, FRIDAY_4PM)  # 4 h
    assert clock_light(clock, FRIDAY_4PM + timedelta(hours=2, minutes=59)) is Light.GREEN
    assert clock_light(clock, FRIDAY_4PM + timedelta(hours=3)) is Light.YELLOW
    assert clock_light(clock, FRIDAY_4PM + timedelta(hours=4)) is Light.RED
    assert light(clock.deadline, clock.yellow_at, clock.deadline - timedelta(seconds=1)) is (
        Light.YELLOW
    )


def test_pause_stops_the_clock_and_resume_continues_with_the_time_left() -> None:
    clock = POLICY.start(WALL, Step.VERIFY, FRIDAY_4PM)
    paused = POLICY.pause(clock, FRIDAY_4PM + timedelta(hours=1))
    assert paused.remaining_seconds == 3 * 3600
    # Days pass while paused: the light stays as it was when the clock stopped.
    assert clock_light(paused, FRIDAY_4PM + timedelta(days=3)) is Light.GREEN
    resumed = POLICY.resume(paused, FRIDAY_4PM + timedelta(days=3))
    assert resumed.deadline == FRIDAY_4PM + timedelta(days=3, hours=3)
    assert resumed.yellow_at == FRIDAY_4PM + timedelta(days=3, hours=2)
    assert resumed.paused_at is None


def test_pausing_a_business_clock_keeps_working_time_only() -> None:
    clock = POLICY.start(WORKING, Step.VERIFY, FRIDAY_4PM)
    paused = POLICY.pause(clock, FRIDAY_4PM + timedelta(hours=3))  # Friday 19:00: after hours
    assert paused.remaining_seconds == 7 * 3600
    monday_9am = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert POLICY.resume(paused, monday_9am).deadline == datetime(2026, 11, 30, 8, tzinfo=UTC)


def test_a_chosen_deadline_is_an_instant_on_the_wall_clock_not_on_the_business_calendar() -> None:
    # Friday 16:00 Beijing, staff choose Saturday 10:00: the calendar's closed hours don't count
    # for a limit here, the instant is the instant.
    saturday_10am = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    clock = POLICY.until(Step.HANDLE, FRIDAY_4PM, saturday_10am)
    assert (clock.deadline, clock.business, clock.limit_seconds) == (
        saturday_10am,
        False,
        18 * 3600,
    )
    assert clock.yellow_at == saturday_10am - timedelta(hours=18) / 4
    # Paused for the weekend and resumed: the time left runs on the wall clock.
    paused = POLICY.pause(clock, FRIDAY_4PM + timedelta(hours=2))
    resumed = POLICY.resume(paused, FRIDAY_4PM + timedelta(days=3))
    assert resumed.deadline == FRIDAY_4PM + timedelta(days=3, hours=16)
    # A deadline before the start is due at once.
    assert POLICY.until(Step.HANDLE, FRIDAY_4PM, FRIDAY_4PM - timedelta(hours=1)).deadline == (
        FRIDAY_4PM
    )


def test_an_override_replaces_a_category_s_limits_with_wall_clock_seconds() -> None:
    policy = TimePolicy(CALENDAR, parse_overrides("w=5:30; other=7"))
    assert policy.overrides["other"] == SlaOverride(7, 7)
    clock = policy.start(WORKING, Step.HANDLE, FRIDAY_4PM)
    assert clock.deadline == FRIDAY_4PM + timedelta(seconds=30)
    assert not clock.business
    with pytest.raises(ValueError):
        parse_overrides("nonsense")


def test_configuration_text_parses() -> None:
    assert parse_periods("09:00-12:00, 13:30-17:30") == (
        (time(9), time(12)),
        (time(13, 30), time(17, 30)),
    )
    assert parse_weekdays("1-5,7") == frozenset({0, 1, 2, 3, 4, 6})
    assert parse_dates("2026-10-01,,2026-10-02") == {date(2026, 10, 1), date(2026, 10, 2)}
    with pytest.raises(ValueError):
        parse_weekdays("0-5")
    with pytest.raises(ValueError):
        BusinessCalendar(periods=((time(12), time(9)),))
