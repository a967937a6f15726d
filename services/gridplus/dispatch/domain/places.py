"""Where a petition lies and who serves there, as the grid registry told dispatch: values that
routing decides from and an assignment keeps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AssigneeRole(StrEnum):
    GRID_WORKER = "grid_worker"
    GRID_CHIEF = "grid_chief"


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

    @property
    def level2_code(self) -> str:
        return self.path[1] if len(self.path) > 1 else ""

    @property
    def parent_code(self) -> str:
        return self.path[-2] if len(self.path) >= 2 else ""


@dataclass(frozen=True)
class Member:
    """A person attached to the grid in a role that can take petitions."""

    person_id: str
    role: AssigneeRole
