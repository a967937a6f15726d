"""Who gets a petition: the level-3 grid it lies in, that grid's least-loaded worker, a deadline.

Deterministic: the same grid, members and open counts always give the same assignee, so a
replayed event or a test sees the same answer. Every choice is explained in `reasons`, in decision
order, for the staff who ask "why me?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.categories import CategoryChoice
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace, Member
from gridplus.dispatch.domain.time_limits import StepClock


@dataclass(frozen=True)
class Assignee:
    person_id: str
    role: AssigneeRole
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
    grid: GridPlace,
    members: Iterable[Member],
    open_counts: Mapping[str, int],
    parent_chiefs: Iterable[Member] = (),
) -> Assignee:
    """The grid worker with the fewest open assignments (ties: lowest person id); with no
    worker, the grid chief chosen the same way; then the level-2 grid's chief; else NoAssignee."""
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
    above = [m for m in parent_chiefs if m.role is AssigneeRole.GRID_CHIEF]
    if above:
        chosen, reason = _least_loaded(above, open_counts)
        fallback = (
            f"no grid_worker or grid_chief in {grid.code}: the chief of {grid.parent_code} takes it"
        )
        return Assignee(chosen.person_id, chosen.role, (fallback, reason))
    raise NoAssignee(f"no grid_worker or grid_chief in {grid.code} or its parent grid")


def decide(
    *,
    petition_id: str,
    grid: GridPlace,
    members: Iterable[Member],
    open_counts: Mapping[str, int],
    choice: CategoryChoice,
    clock: StepClock,
    clock_reason: str,
    department: tuple[str, str] = ("", ""),
    parent_chiefs: Iterable[Member] = (),
    assigned_at: datetime,
) -> Assignment:
    """Route one petition located in `grid`; raises NoAssignee when nobody can take it.
    `department` is (code, why) as responsibility rules resolved it; empty code: none. The new
    assignment records `PetitionAssigned`."""
    assignee = choose_assignee(grid, members, open_counts, parent_chiefs)
    department_code, department_reason = department
    return Assignment.assign(
        petition_id=petition_id,
        grid=grid,
        assignee_id=assignee.person_id,
        assignee_role=assignee.role,
        choice=choice,
        clock=clock,
        assigned_at=assigned_at,
        department_code=department_code,
        reasons=(
            located_reason(grid),
            choice.reason,
            *([department_reason] if department_reason else []),
            *assignee.reasons,
            clock_reason,
        ),
    )
