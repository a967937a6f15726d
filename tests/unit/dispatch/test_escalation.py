"""The escalation ladder's configuration and timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.dispatch.domain.escalation import (
    DEFAULT_LADDER,
    Rung,
    Target,
    next_escalation,
    parse_ladder,
)

DEADLINE = datetime(2026, 11, 27, 9, tzinfo=UTC)


def test_the_default_ladder_tells_the_grid_chief_then_the_level2_chief_and_department_head() -> (
    None
):
    ladder = parse_ladder(DEFAULT_LADDER)
    assert ladder == (
        Rung(0, (Target.GRID_CHIEF,)),
        Rung(3600, (Target.LEVEL2_CHIEF, Target.DEPARTMENT_HEAD)),
    )
    assert next_escalation(ladder, 0, DEADLINE) == DEADLINE
    assert next_escalation(ladder, 1, DEADLINE) == DEADLINE + timedelta(hours=1)
    assert next_escalation(ladder, 2, DEADLINE) is None


def test_bad_ladders_are_refused() -> None:
    for text in ("", "grid_chief", "60:grid_chief;0:level2_chief", "0:mayor"):
        with pytest.raises(ValueError):
            parse_ladder(text)
