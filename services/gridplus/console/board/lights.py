"""Pure rules of the board: which grids a view shows, how a grid's counts colour it, what the
live stream sends. No I/O: the routes call the services and hand the answers here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.grid.v1 import grid_pb2

LEAF_LEVEL = 3
# How much each level's outlines may be simplified for drawing: a city of boroughs needs less
# detail than a neighbourhood (metres; grid-registry simplifies, topology kept).
SIMPLIFY_METERS = {1: 60.0, 2: 25.0, 3: 8.0}

Counts = tuple[int, int, int]  # red, yellow, green


@dataclass(frozen=True)
class View:
    """What /map?grid=<code> shows: the children of `area` (the city at the root) with their
    lights; a level-3 grid is shown among its siblings, selected, with its overdue petitions."""

    selected: grid_pb2.Grid | None  # the grid asked for; None at the root
    area_code: str  # whose children are drawn; "" = the level-1 grids

    @property
    def child_level(self) -> int:
        if self.selected is None:
            return 1
        return min(self.selected.level + 1, LEAF_LEVEL)

    @property
    def selected_code(self) -> str:
        return "" if self.selected is None else self.selected.code


def view_of(selected: grid_pb2.Grid | None) -> View:
    if selected is None:
        return View(None, "")
    if selected.level >= LEAF_LEVEL:
        return View(selected, selected.parent_code)
    return View(selected, selected.code)


def counts_by_grid(answer: dispatch_pb2.CountLightsResponse) -> dict[str, Counts]:
    return {g.grid_code: (g.red, g.yellow, g.green) for g in answer.grids}


def light_of(counts: Counts) -> str:
    """The colour a grid is drawn in: its worst light; NONE without open petitions."""
    red, yellow, green = counts
    if red:
        return "RED"
    if yellow:
        return "YELLOW"
    return "GREEN" if green else "NONE"


@dataclass(frozen=True)
class OverdueRow:
    petition_id: str
    grid_code: str
    category_en: str
    category_zh: str
    assignee_id: str
    department_code: str
    deadline: datetime

    def as_json(self) -> dict[str, str]:
        return {
            "petition_id": self.petition_id,
            "grid_code": self.grid_code,
            "category_en": self.category_en,
            "category_zh": self.category_zh,
            "assignee_id": self.assignee_id,
            "department_code": self.department_code,
            "deadline": self.deadline.isoformat(),
        }


def overdue_rows(assignments: Iterable[dispatch_pb2.Assignment]) -> list[OverdueRow]:
    return [
        OverdueRow(
            petition_id=a.petition_id,
            grid_code=a.grid.code,
            category_en=a.category_name_en or a.category,
            category_zh=a.category_name_zh or a.category,
            assignee_id=a.assignee_id,
            department_code=a.department_code,
            deadline=a.deadline.ToDatetime(tzinfo=UTC),
        )
        for a in assignments
    ]


def snapshot(counts: Mapping[str, Counts], overdue: Iterable[OverdueRow]) -> dict[str, object]:
    """What one live update carries (the page applies it in place)."""
    return {
        "grids": {code: list(value) for code, value in sorted(counts.items())},
        "overdue": [row.as_json() for row in overdue],
    }


def sse(event: str, data: object) -> str:
    """One server-sent event; the JSON is one line, so one `data:` field carries it."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), sort_keys=True)}\n\n"
