"""The light board, counted in the database: open assignments and owed whistle reports by light.

The rule is the domain's (`domain/time_limits.light`: red from the deadline, yellow from
`yellow_at`): the CASE expressions below only compare the instants the domain computed and stored
with each clock, so the rule is stated once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.time_limits import Light
from gridplus.dispatch.storage.models import OPEN, AssignmentRow, WhistleReportRow
from gridplus.kit.clock import as_utc


@dataclass(frozen=True)
class LightCount:
    light: str
    grid_level1: str
    grid_level2: str
    department_code: str
    count: int


@dataclass(frozen=True)
class WhistleCount:
    light: str
    department_code: str
    count: int


def light_counts(session: Session, *, now: datetime) -> list[LightCount]:
    """Open assignments by light, level-1 and level-2 grid and department, in one query. A
    paused clock keeps the light it had when it stopped."""
    at = func.coalesce(AssignmentRow.paused_at, as_utc(now))
    light = case(
        (AssignmentRow.deadline <= at, Light.RED.value),
        (func.coalesce(AssignmentRow.yellow_at, AssignmentRow.deadline) <= at, Light.YELLOW.value),
        else_=Light.GREEN.value,
    )
    query = (
        select(
            light,
            AssignmentRow.grid_level1,
            AssignmentRow.grid_level2,
            AssignmentRow.department_code,
            func.count(),
        )
        .where(AssignmentRow.status == OPEN)
        .group_by(
            light,
            AssignmentRow.grid_level1,
            AssignmentRow.grid_level2,
            AssignmentRow.department_code,
        )
    )
    return [LightCount(str(a), b, c, d, int(n)) for a, b, c, d, n in session.execute(query)]


def whistle_counts(session: Session, *, now: datetime) -> list[WhistleCount]:
    """Reports still owed, by light and department."""
    light = case(
        (WhistleReportRow.deadline <= now, Light.RED.value),
        (WhistleReportRow.yellow_at <= now, Light.YELLOW.value),
        else_=Light.GREEN.value,
    )
    query = (
        select(light, WhistleReportRow.department_code, func.count())
        .where(WhistleReportRow.reported_at.is_(None))
        .group_by(light, WhistleReportRow.department_code)
    )
    return [WhistleCount(str(a), b, int(n)) for a, b, n in session.execute(query)]
