"""Pure presentation rules for My work: order by light then deadline, distances between
petitions, and which actions a petition in a status offers to a role (the services still decide;
a button they would refuse is not offered, nothing more)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from gridplus.kit.roles import Role

LIGHT_ORDER = {"RED": 0, "YELLOW": 1, "GREEN": 2, "NONE": 3}
EARTH_RADIUS_M = 6_371_000.0


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


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def distance_text(meters: float) -> str:
    return f"{meters:.0f} m" if meters < 1000 else f"{meters / 1000:.1f} km"


# What each status allows (petition's lifecycle, DESIGN.md), by action.
_BY_STATUS: dict[str, frozenset[str]] = {
    "ASSIGNED": frozenset({"accept", "verify", "reject", "merge", "transfer", "refuse", "clock"}),
    "VERIFIED": frozenset({"accept", "resolve", "reject", "merge", "transfer", "refuse", "clock"}),
    "REOPENED": frozenset({"accept", "verify", "resolve", "transfer", "refuse", "clock"}),
    "SUBMITTED": frozenset({"reject"}),
}
_DEPARTMENT = frozenset({Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD})
# The roles dispatch and petition let do each action (dispatch api/policy.py, petition's).
_ROLES: dict[str, frozenset[Role]] = {
    "refuse": _DEPARTMENT,
    "clock": frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.ADMIN}),
    "transfer": frozenset(
        {Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.ADMIN}
    ),
}


def actions_for(status: str, role: Role, *, accepted: bool, has_assignment: bool) -> frozenset[str]:
    """The actions worth offering (notes are always offered while the petition is open)."""
    offered = set(_BY_STATUS.get(status, frozenset()))
    if accepted or not has_assignment:
        offered.discard("accept")
    if not has_assignment:
        offered -= {"transfer", "refuse", "clock"}
    offered = {a for a in offered if role in _ROLES.get(a, frozenset(Role))}
    if status not in ("CLOSED", "REJECTED", "DUPLICATE"):
        offered.add("note")
    return frozenset(offered)
