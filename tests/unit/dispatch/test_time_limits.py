"""The verify-step deadline by category, from an instant passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.dispatch.domain.time_limits import DEFAULT_VERIFY_HOURS, verify_deadline

ASSIGNED = datetime(2026, 11, 27, 22, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("category", "hours"),
    [("noise", 24), ("sanitation", 24), ("other", 24), ("water", 4), ("parking", 8),
     ("street_light", 12), ("a_code_nobody_knows", DEFAULT_VERIFY_HOURS)],
)  # fmt: skip
def test_the_deadline_is_the_assignment_time_plus_the_category_hours(
    category: str, hours: int
) -> None:
    deadline = verify_deadline(category, ASSIGNED)
    assert deadline.at == ASSIGNED + timedelta(hours=hours)
    assert deadline.reason == f"verify step deadline: {hours} h for category {category}"


def test_urgent_categories_are_shorter_than_the_default() -> None:
    assert verify_deadline("water", ASSIGNED).at < verify_deadline("noise", ASSIGNED).at


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        verify_deadline("noise", datetime(2026, 11, 27, 9, 0))
