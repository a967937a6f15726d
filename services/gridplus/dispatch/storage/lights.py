"""The light board, counted in the database: open assignments and owed whistle reports by light.

The rule is the domain's (`domain/time_limits.light`: red from the deadline, yellow from
`yellow_at`): the CASE expressions below only compare the instants the domain computed and stored
with each clock, so the rule is stated once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.time_limits import Light
from gridplus.dispatch.storage.assignments import in_grids, visible
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


@dataclass(frozen=True)
class GridLights:
    """One grid's open assignments by light (the map board's colours)."""

    grid_code: str
    red: int = 0
    yellow: int = 0
    green: int = 0


def light_counts(session: Session, *, now: datetime) -> list[LightCount]:
    """Open assignments by light, level-1 and level-2 grid and department, in one query. A
    paused clock keeps the light it had when it stopped."""
    light = _light_at(now)
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


def grid_lights(
    session: Session,
    *,
    now: datetime,
    level: int,
    grid_code: str,
    department_code: str,
    visibility: Visibility,
) -> list[GridLights]:
    """Open assignments the caller may see, by light, for each grid of `level` (1..3), in one
    grouped query; grids without one are left out. Ordered by grid code."""
    column = {
        1: AssignmentRow.grid_level1,
        2: AssignmentRow.grid_level2,
        3: AssignmentRow.grid_code,
    }[level]
    light = _light_at(now)
    query = select(column, light, func.count()).where(AssignmentRow.status == OPEN)
    if grid_code:
        query = query.where(AssignmentRow.petition_id.in_(in_grids([grid_code])))
    if department_code:
        query = query.where(AssignmentRow.department_code == department_code)
    query = visible(query, visibility).group_by(column, light)
    found: dict[str, dict[str, int]] = {}
    for code, shade, count in session.execute(query):
        found.setdefault(str(code), {})[str(shade)] = int(count)
    return [
        GridLights(
            code,
            red=by_light.get(Light.RED.value, 0),
            yellow=by_light.get(Light.YELLOW.value, 0),
            green=by_light.get(Light.GREEN.value, 0),
        )
        for code, by_light in sorted(found.items())
    ]


def _light_at(now: datetime) -> Any:
    """The light CASE expression of an open assignment at `now` (a paused clock keeps the light
    it had when it stopped)."""
    at = func.coalesce(AssignmentRow.paused_at, as_utc(now))
    return case(
        (AssignmentRow.deadline <= at, Light.RED.value),
        (func.coalesce(AssignmentRow.yellow_at, AssignmentRow.deadline) <= at, Light.YELLOW.value),
        else_=Light.GREEN.value,
    )


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
