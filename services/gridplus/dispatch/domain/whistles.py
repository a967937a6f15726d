"""Whistles (吹哨报到): a grid summons departments to a petition; each must report in time.

Pure: instants are passed in. A report is due `report_minutes` after the whistle (wall-clock:
a summons does not wait for Monday); it lights like a petition's step (yellow with a quarter left).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gridplus.dispatch.domain.time_limits import YELLOW_FRACTION

MAX_DEPARTMENTS = 20


@dataclass(frozen=True)
class ReportDue:
    department_code: str
    deadline: datetime
    yellow_at: datetime


def summon(department_codes: list[str], blown_at: datetime, report_minutes: int) -> list[ReportDue]:
    """One report per distinct department, in the order named."""
    limit = timedelta(minutes=report_minutes)
    return [
        ReportDue(code, blown_at + limit, blown_at + limit * (1 - YELLOW_FRACTION))
        for code in dict.fromkeys(c.strip() for c in department_codes if c.strip())
    ]


def arbitrator(refusals: int, grid_chiefs: list[str]) -> str:
    """Who settles a repeated refusal (the second and later): the grid chief, else an admin."""
    if refusals < 2:
        return ""
    return sorted(grid_chiefs)[0] if grid_chiefs else "admin"
