"""The ports of the services dispatch calls: the grid registry (where a point lies, who works in a
grid, the taxonomy, which department is responsible and the organisation chain above a grid).

Handlers and jobs depend on this interface only; `clients.GrpcGridDirectory` is the real
adapter, and tests use a fake subclass. The taxonomy, responsibility and chain methods have
defaults (no category, no department, no chain): a petition whose category nobody knows waits in
triage for a person.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from gridplus.dispatch.domain.categories import Category
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace, Member


@dataclass(frozen=True)
class Department:
    code: str
    head_person_id: str
    reason: str  # which responsibility rule matched


@dataclass(frozen=True)
class ChainLevel:
    grid_code: str
    level: int
    chiefs: tuple[str, ...]  # person ids of the grid chiefs at this level


class GridDirectory(ABC):
    @abstractmethod
    def locate(self, lat: float, lon: float) -> GridPlace | None:
        """The level-3 grid containing the point; None when it is out of jurisdiction.

        A dependency that is down raises (gRPC UNAVAILABLE, DEADLINE_EXCEEDED): the consumer
        retries the event until it passes.
        """

    @abstractmethod
    def members(self, grid_code: str) -> list[Member]:
        """The grid's grid workers and grid chiefs (other roles cannot take petitions)."""

    def category(self, code: str) -> Category | None:
        """The category with this code as grid-registry states it (names, priority, step limits,
        business calendar); None when it knows none. Dispatch keeps no copy of the taxonomy."""
        return None

    def top_level_named(self, name_zh: str) -> Category | None:
        """The top-level class with this Chinese name (how the classifier's data labels them)."""
        return None

    def department(self, category_code: str, grid_code: str) -> Department | None:
        """The department responsible for a category in a grid (rules on ancestors apply)."""
        return None

    def department_head(self, department_code: str) -> str:
        """Person id of the department's head; empty when none is registered."""
        return ""

    def chain(self, grid_code: str) -> list[ChainLevel]:
        """The grids from level 1 down to `grid_code`, with their chiefs."""
        return []

    def department_codes(self) -> frozenset[str] | None:
        """Every department's code; None when the directory cannot say (nothing is refused)."""
        return None

    def grid(self, code: str) -> GridPlace | None:
        """The grid with this code (its path from level 1), None when the registry knows none."""
        return None

    def distance_to_grid(self, grid_code: str, lat: float, lon: float) -> float | None:
        """Metres from the point to the grid's outline, 0 inside it; None when the grid is
        unknown. A registry that is down raises (the caller answers UNAVAILABLE)."""
        return None

    def grid_set_imported(self, version: int) -> None:
        """grid-registry announced a new grid set (GridSetImported): a directory that keeps
        answers per version stops using older ones."""
        return None

    def membership_changed(self, grid_code: str) -> None:
        """Someone joined or left `grid_code` (MembershipChanged): its members are asked again."""
        return None

    def assignees(self, grid: GridPlace) -> dict[str, AssigneeRole]:
        """Who may take a petition of `grid` over, and in which role: the grid's own workers and
        chiefs, then the chiefs of the grids enclosing it (routing's fallback, who see it too)."""
        found = {member.person_id: member.role for member in self.members(grid.code)}
        for code in reversed(grid.path[:-1]):
            for member in self.members(code):
                if member.role is AssigneeRole.GRID_CHIEF:
                    found.setdefault(member.person_id, member.role)
        return found
