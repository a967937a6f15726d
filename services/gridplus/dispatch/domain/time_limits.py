"""Step time limits: how long the verify step (核实研判) may take, by category.

Pure: the start instant is passed in. Business calendars (working hours, holidays) come later;
until then a limit is counted in plain hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gridplus.dispatch.domain import categories

DEFAULT_VERIFY_HOURS = 24

# Shorter where waiting does damage or endangers people; every other category gets the default.
VERIFY_HOURS: dict[str, int] = {
    categories.WATER: 4,  # a leak floods homes and wastes water by the hour
    categories.PARKING: 8,  # a blocked exit or fire lane
    categories.STREET_LIGHT: 12,  # a dark street is unsafe from the next nightfall
}


@dataclass(frozen=True)
class StepDeadline:
    at: datetime
    hours: int
    reason: str  # human-readable: how the deadline was computed


def verify_hours(category: str) -> int:
    return VERIFY_HOURS.get(category, DEFAULT_VERIFY_HOURS)


def verify_deadline(category: str, assigned_at: datetime) -> StepDeadline:
    """The verify step ends `verify_hours(category)` after the assignment."""
    if assigned_at.tzinfo is None:
        raise ValueError("assigned_at must be timezone-aware")
    hours = verify_hours(category)
    return StepDeadline(
        at=assigned_at + timedelta(hours=hours),
        hours=hours,
        reason=f"verify step deadline: {hours} h for category {category}",
    )
