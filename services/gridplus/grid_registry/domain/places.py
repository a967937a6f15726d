"""Buildings (楼院) and units (单元, micro-grids of households) inside level-3 grids.

A building belongs to a leaf grid; a unit belongs to a building of the same grid. Building and
unit chiefs are members attached to the grid with the place's code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from gridplus.grid_registry.domain.grids import GridError, GridSet


class PlaceKind(StrEnum):
    BUILDING = "building"
    UNIT = "unit"


class PlaceInvalid(GridError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"place {code!r}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: PlaceKind
    grid_code: str
    # The building of a unit; None for a building.
    parent_code: str | None = None


def check_places(grid_set: GridSet, places: Iterable[Place]) -> list[Place]:
    """Places with unique codes, buildings in leaf grids, units in a building of the same grid."""
    by_code: dict[str, Place] = {}
    for place in places:
        if not place.code or place.code != place.code.strip():
            raise PlaceInvalid(place.code, "code must be non-empty without spaces around it")
        if place.code in by_code or place.code in grid_set:
            raise PlaceInvalid(place.code, "duplicate code")
        if place.grid_code not in grid_set:
            raise PlaceInvalid(place.code, f"grid {place.grid_code!r} is not in the grid set")
        if grid_set.children(place.grid_code):
            raise PlaceInvalid(place.code, f"grid {place.grid_code!r} is not a smallest grid")
        by_code[place.code] = place
    for place in by_code.values():
        if place.kind is PlaceKind.BUILDING and place.parent_code is not None:
            raise PlaceInvalid(place.code, "a building has no parent place")
        if place.kind is PlaceKind.UNIT:
            building = by_code.get(place.parent_code or "")
            if building is None or building.kind is not PlaceKind.BUILDING:
                raise PlaceInvalid(place.code, f"unit needs a building, got {place.parent_code!r}")
            if building.grid_code != place.grid_code:
                raise PlaceInvalid(place.code, "unit and its building lie in different grids")
    return list(by_code.values())
