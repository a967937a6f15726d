"""Dispatch's settings: defaults, parsed values, and errors naming the variable."""

from __future__ import annotations

from datetime import date, time

import pytest

from gridplus.dispatch.config import DispatchSettings
from gridplus.kit.config import ConfigError, Env


def test_defaults() -> None:
    settings = DispatchSettings.from_env(Env({}))
    assert settings.threshold == 0.3
    assert settings.policy.calendar.zone == "Asia/Shanghai"
    assert settings.policy.overrides == {}
    assert [rung.after_seconds for rung in settings.ladder] == [0, 3600]
    assert settings.whistle_report_minutes == 30


def test_values_are_parsed() -> None:
    settings = DispatchSettings.from_env(
        Env(
            {
                "GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD": "0.5",
                "GRIDPLUS_DISPATCH_WORKING_HOURS": "08:30-17:00",
                "GRIDPLUS_DISPATCH_HOLIDAYS": "2026-10-01",
                "GRIDPLUS_DISPATCH_SLA_OVERRIDE": "nyc.noise_residential=5:30",
            }
        )
    )
    assert settings.threshold == 0.5
    assert settings.policy.calendar.periods == ((time(8, 30), time(17)),)
    assert settings.policy.calendar.holidays == {date(2026, 10, 1)}
    assert settings.policy.overrides["nyc.noise_residential"].handle_seconds == 30


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD", "2"),
        ("GRIDPLUS_DISPATCH_WORKING_HOURS", "nine-five"),
        ("GRIDPLUS_DISPATCH_SLA_OVERRIDE", "nonsense"),
        ("GRIDPLUS_DISPATCH_ESCALATION_LADDER", "0:mayor"),
        ("GRIDPLUS_DISPATCH_CALENDAR_ZONE", "Mars/Olympus"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name.removeprefix("GRIDPLUS_DISPATCH_")[:8]):
        DispatchSettings.from_env(Env({name: value}))
