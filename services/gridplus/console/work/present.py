"""Pure presentation rules for My work: order by light then deadline, light names, times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

LIGHT_ORDER = {"RED": 0, "YELLOW": 1, "GREEN": 2, "NONE": 3}


def light_name(value: int) -> str:
    """A proto Light number as RED / YELLOW / GREEN (NONE when no clock runs)."""
    return {1: "GREEN", 2: "YELLOW", 3: "RED"}.get(value, "NONE")


@dataclass(frozen=True)
class WorkRow:
    petition_id: str
    title: str
    status: str
    light: str
    deadline: datetime | None
    grid_code: str
    category: str
    step: str
    paused: bool
    accepted: bool
    assignee_id: str


def ordered(rows: list[WorkRow]) -> list[WorkRow]:
    """Red first, then yellow, then green; within a light, the soonest deadline first."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (LIGHT_ORDER[r.light], r.deadline or far, r.petition_id))


def counts(rows: list[WorkRow]) -> dict[str, int]:
    found = {light: 0 for light in LIGHT_ORDER}
    for row in rows:
        found[row.light] += 1
    return found
