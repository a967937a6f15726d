"""Who gets a petition: the level-3 grid it lies in, that grid's least-loaded worker, a deadline.

Deterministic: the same grid, members and open counts always give the same assignee, so a
replayed event or a test sees the same answer. Every choice is explained in `reasons`, in decision
order, for the staff who ask "why me?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gridplus.dispatch.domain.categories import Classification
from gridplus.dispatch.domain.time_limits import verify_deadline


class AssigneeRole(StrEnum):
    GRID_WORKER = "grid_worker"
    GRID_CHIEF = "grid_chief"


class Step(StrEnum):
    VERIFY = "verify"  # 核实研判
    HANDLE = "handle"  # 限时办理


@dataclass(frozen=True)
class GridPlace:
    """The level-3 grid a point lies in, as the grid registry located it."""

    code: str
    level: int
    path: tuple[str, ...]  # level-1 code first, down to and including `code`
    grid_set_version: int
    snapped: bool = False
    snap_distance_meters: float = 0.0

    @property
    def level1_code(self) -> str:
        return self.path[0] if self.path else self.code


@dataclass(frozen=True)
class Member:
    """A person attached to the grid in a role that can take petitions."""

    person_id: str
    role: AssigneeRole


@dataclass(frozen=True)
class Assignee:
    person_id: str
    role: AssigneeRole
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    """The decision for one petition: grid, assignee, category and the verify-step deadline."""

    petition_id: str
    grid: GridPlace
    assignee_id: str
    assignee_role: AssigneeRole
    category: str
    step: Step
    deadline: datetime
    assigned_at: datetime
    reasons: tuple[str, ...]


class NoAssignee(Exception):
    """The grid has neither a grid worker nor a grid chief: nobody can take the petition."""


def located_reason(grid: GridPlace) -> str:
    where = f"located in {grid.code} (grid set v{grid.grid_set_version})"
    if grid.snapped:
        where += f", snapped {grid.snap_distance_meters:.0f} m to the nearest grid"
    return where


def _plural(count: int) -> str:
    return "assignment" if count == 1 else "assignments"


def _least_loaded(candidates: list[Member], open_counts: Mapping[str, int]) -> tuple[Member, str]:
    ranked = sorted(candidates, key=lambda m: (open_counts.get(m.person_id, 0), m.person_id))
    chosen = ranked[0]
    count = open_counts.get(chosen.person_id, 0)
    tied = [m.person_id for m in ranked[1:] if open_counts.get(m.person_id, 0) == count]
    detail = "fewest" if not tied else f"fewest; tie with {', '.join(tied)} broken by person id"
    reason = f"{chosen.role} {chosen.person_id} has {count} open {_plural(count)} ({detail})"
    return chosen, reason


def choose_assignee(
    grid: GridPlace, members: Iterable[Member], open_counts: Mapping[str, int]
) -> Assignee:
    """The grid worker with the fewest open assignments (ties: lowest person id); with no
    worker, the grid chief chosen the same way; with neither, NoAssignee."""
    unique = {member.person_id: member for member in members}.values()
    workers = [m for m in unique if m.role is AssigneeRole.GRID_WORKER]
    if workers:
        chosen, reason = _least_loaded(workers, open_counts)
        return Assignee(chosen.person_id, chosen.role, (reason,))
    chiefs = [m for m in unique if m.role is AssigneeRole.GRID_CHIEF]
    if chiefs:
        chosen, reason = _least_loaded(chiefs, open_counts)
        fallback = f"no grid_worker in {grid.code}: the grid_chief takes it"
        return Assignee(chosen.person_id, chosen.role, (fallback, reason))
    raise NoAssignee(f"no grid_worker or grid_chief in {grid.code}")


def decide(
    *,
    petition_id: str,
    grid: GridPlace,
    members: Iterable[Member],
    open_counts: Mapping[str, int],
    classification: Classification,
    assigned_at: datetime,
) -> Assignment:
    """Route one petition located in `grid`; raises NoAssignee when nobody can take it."""
    assignee = choose_assignee(grid, members, open_counts)
    deadline = verify_deadline(classification.category, assigned_at)
    return Assignment(
        petition_id=petition_id,
        grid=grid,
        assignee_id=assignee.person_id,
        assignee_role=assignee.role,
        category=classification.category,
        step=Step.VERIFY,
        deadline=deadline.at,
        assigned_at=assigned_at,
        reasons=(
            located_reason(grid),
            classification.reason,
            *assignee.reasons,
            deadline.reason,
        ),
    )
