"""A deterministic demo organisation chain for any set of grids.

Every level-3 grid gets grid workers and a grid chief; every level-1 and level-2 grid gets a grid
chief. Ids are derived from grid codes, so the same grids always give the same people — demos,
tests and seeded tokens can name them (w-MN0101-1, c-MN0101, c-MN01, c-1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gridplus.grid_registry.domain.grids import MAX_LEVEL, GridSpec

GRID_WORKER = "grid_worker"
GRID_CHIEF = "grid_chief"
WORKERS_PER_GRID = 2


@dataclass(frozen=True)
class DemoMember:
    """One person in the demo organisation; `role` uses the JWT role names."""

    person_id: str
    display_name: str
    role: str
    grid_code: str


def worker_id(grid_code: str, number: int) -> str:
    return f"w-{grid_code}-{number}"


def chief_id(grid_code: str) -> str:
    return f"c-{grid_code}"


def demo_organisation(
    grids: Iterable[GridSpec], workers_per_grid: int = WORKERS_PER_GRID
) -> list[DemoMember]:
    """Chiefs for every grid and `workers_per_grid` workers for every level-3 grid.

    Ordered by grid level, then code, then chief before workers, so output is stable.
    """
    members: list[DemoMember] = []
    for grid in sorted(grids, key=lambda spec: (spec.level, spec.code)):
        members.append(
            DemoMember(chief_id(grid.code), f"Grid chief {grid.code}", GRID_CHIEF, grid.code)
        )
        if grid.level == MAX_LEVEL:
            members.extend(
                DemoMember(
                    worker_id(grid.code, number),
                    f"Grid worker {grid.code}-{number}",
                    GRID_WORKER,
                    grid.code,
                )
                for number in range(1, workers_per_grid + 1)
            )
    return members
