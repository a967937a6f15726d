"""Fixed category codes, their built-in names and limits by priority."""

from __future__ import annotations

from gridplus.dispatch.domain.categories import (
    BUILT_IN,
    Category,
    Priority,
    built_in,
    nyc_code,
)


def test_nyc_complaint_types_become_slug_codes() -> None:
    assert nyc_code("Noise - Residential") == "nyc.noise_residential"
    assert nyc_code("HEAT/HOT WATER") == "nyc.heat_hot_water"
    assert nyc_code("  Street Light Condition ") == "nyc.street_light_condition"


def test_the_chinese_top_level_classes_and_other_are_built_in_with_both_names() -> None:
    assert len(BUILT_IN) == 16
    transport = BUILT_IN["transport"]
    assert (transport.name_zh, transport.name_en, transport.top_level_code) == (
        "交通运输",
        "Transport",
        "transport",
    )
    assert transport.business_calendar


def test_an_nyc_code_is_known_by_its_shape_and_urgent_types_are_urgent() -> None:
    signal = built_in("nyc.traffic_signal_condition")
    assert signal is not None and signal.priority is Priority.URGENT
    assert signal.limits() == (60, 24 * 60)
    assert built_in("nyc.") is None
    assert built_in("no_such_code") is None


def test_a_category_s_own_limits_win_over_its_priority_default() -> None:
    own = Category("x", "x", "x", "x", Priority.LOW, verify_minutes=30, handle_minutes=0)
    assert own.limits() == (30, 10 * 24 * 60)
