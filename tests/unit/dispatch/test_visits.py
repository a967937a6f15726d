"""Visit rules (domain/visits.py): the petition id a finding names, the time and place checks,
diary days in the platform's time zone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from gridplus.dispatch.domain.visits import (
    Finding,
    check_distance,
    check_visited_at,
    diary_range,
    finding_petition_id,
    local_day,
    numbered,
)
from gridplus.kit.errors import InvalidArgument

NOW = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # 00:30 on 28 Nov in Asia/Shanghai


def field_of(error: pytest.ExceptionInfo[InvalidArgument]) -> str:
    return error.value.violations[0].field


def test_findings_are_numbered_and_those_raising_a_petition_name_it() -> None:
    given = [
        Finding(0, "", "Asked about heating", "", False),
        Finding(0, "nyc.noise_residential", "Stair light", "", True),
    ]
    found = numbered("v-1", given)
    assert [f.index for f in found] == [1, 2]
    assert found[0].petition_id == ""
    assert found[1].petition_id == str(uuid.uuid5(uuid.NAMESPACE_URL, "gridplus:visit:v-1:2"))
    assert finding_petition_id("v-1", 2) == found[1].petition_id  # the same, every time


def test_visited_at_is_not_in_the_future_and_at_most_a_week_back() -> None:
    check_visited_at(NOW, NOW)
    check_visited_at(NOW + timedelta(seconds=30), NOW)  # clock skew
    check_visited_at(NOW - timedelta(days=7), NOW)
    for bad in (NOW + timedelta(minutes=5), NOW - timedelta(days=7, seconds=1)):
        with pytest.raises(InvalidArgument) as error:
            check_visited_at(bad, NOW)
        assert field_of(error) == "visited_at"


def test_the_point_may_lie_outside_the_grid_within_the_tolerance() -> None:
    check_distance(0.0, 100.0, "MN0502")
    check_distance(100.0, 100.0, "MN0502")
    with pytest.raises(InvalidArgument) as error:
        check_distance(140.4, 100.0, "MN0502")
    assert field_of(error) == "location"
    assert "140 m outside grid MN0502" in error.value.violations[0].description


def test_diary_days_are_local_days() -> None:
    assert local_day(NOW, "Asia/Shanghai") == "2026-11-28"
    assert local_day(NOW, "UTC") == "2026-11-27"
    today = date(2026, 11, 28)
    assert diary_range("", "", today) == (date(2026, 10, 29), today)
    assert diary_range("2026-11-01", "2026-11-02", today) == (date(2026, 11, 1), date(2026, 11, 2))
    for first, last, field in (
        ("2026-11-03", "2026-11-02", "from_day"),
        ("", "28.11.2026", "to_day"),
        ("2024-01-01", "2026-11-02", "from_day"),
    ):
        with pytest.raises(InvalidArgument) as error:
            diary_range(first, last, today)
        assert field_of(error) == field
