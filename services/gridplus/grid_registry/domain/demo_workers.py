"""A deterministic demo organisation chain for any set of grids.

Every grid gets a grid chief; every smallest grid gets grid workers, a street chief, one building
with two units (micro-grids) and their building and unit chiefs; every level-2 grid an inspector;
every level-1 grid the heads of the departments given. Ids are derived from grid codes, so the
same grids always give the same people — demos, tests and seeded tokens can name them (w-MN0101-1,
c-MN0101, c-MN01, c-1, b-MN0101-1, head-nypd). Names, emails (@example.org) and phones (555-01xx,
fictional) are made up from the id; about a third of the people prefer Chinese (zh).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.places import Place, PlaceKind
from gridplus.grid_registry.domain.taxonomy import Department

GRID_WORKER = "grid_worker"
GRID_CHIEF = "grid_chief"
WORKERS_PER_GRID = 2
UNITS_PER_BUILDING = 2

_GIVEN_EN = ("Maria", "James", "Aisha", "David", "Sofia", "Kevin", "Grace", "Luis", "Nadia", "Omar")
_FAMILY_EN = ("Lopez", "Smith", "Khan", "Cohen", "Rossi", "Nguyen", "Brown", "Diaz", "Patel", "Kim")
_FAMILY_ZH = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴")
_GIVEN_ZH = ("芳", "伟", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军")


@dataclass(frozen=True)
class DemoMember:
    """One person in the demo organisation; `role` uses the JWT role names."""

    person_id: str
    display_name: str
    role: str
    grid_code: str
    email: str = ""
    phone: str = ""
    language: str = ""
    department_code: str = ""
    place_code: str = ""


def worker_id(grid_code: str, number: int) -> str:
    return f"w-{grid_code}-{number}"


def chief_id(grid_code: str) -> str:
    return f"c-{grid_code}"


def building_code(grid_code: str) -> str:
    return f"{grid_code}-B1"


def unit_code(grid_code: str, number: int) -> str:
    return f"{grid_code}-B1-U{number}"


def demo_places(grids: Iterable[GridSpec]) -> list[Place]:
    """One building with UNITS_PER_BUILDING units in every smallest grid."""
    specs = list(grids)
    parents = {spec.parent_code for spec in specs}
    places: list[Place] = []
    for grid in sorted(specs, key=lambda spec: spec.code):
        if grid.code in parents:
            continue
        building = building_code(grid.code)
        places.append(Place(building, f"Building 1, {grid.name}", PlaceKind.BUILDING, grid.code))
        places.extend(
            Place(unit_code(grid.code, n), f"Unit {n}", PlaceKind.UNIT, grid.code, building)
            for n in range(1, UNITS_PER_BUILDING + 1)
        )
    return places


def demo_organisation(
    grids: Iterable[GridSpec],
    workers_per_grid: int = WORKERS_PER_GRID,
    departments: Iterable[Department] = (),
) -> list[DemoMember]:
    """The demo people of every grid, ordered by grid level, then code, then chief first."""
    specs = list(grids)
    parents = {spec.parent_code for spec in specs}
    heads = list(departments)
    members: list[DemoMember] = []
    for grid in sorted(specs, key=lambda spec: (spec.level, spec.code)):
        members.append(_person(chief_id(grid.code), GRID_CHIEF, grid.code))
        if grid.code not in parents:
            members.extend(_smallest_grid_people(grid.code, workers_per_grid))
        elif grid.parent_code is not None:
            members.append(_person(f"i-{grid.code}", "inspector", grid.code))
        else:
            members.extend(
                _person(
                    department.head_person_id or f"head-{department.code.lower()}",
                    "department_head",
                    grid.code,
                    department_code=department.code,
                )
                for department in heads
            )
    return members


def _smallest_grid_people(grid_code: str, workers_per_grid: int) -> list[DemoMember]:
    people = [
        _person(worker_id(grid_code, number), GRID_WORKER, grid_code)
        for number in range(1, workers_per_grid + 1)
    ]
    people.append(_person(f"s-{grid_code}", "street_chief", grid_code))
    people.append(
        _person(f"b-{grid_code}-1", "building_chief", grid_code, place=building_code(grid_code))
    )
    people.extend(
        _person(f"u-{grid_code}-1-{n}", "unit_chief", grid_code, place=unit_code(grid_code, n))
        for n in range(1, UNITS_PER_BUILDING + 1)
    )
    return people


def _person(
    person_id: str, role: str, grid_code: str, *, department_code: str = "", place: str = ""
) -> DemoMember:
    seed = int.from_bytes(hashlib.sha256(person_id.encode()).digest()[:4], "big")
    chinese = seed % 3 == 0
    first, last = seed // 3 % 10, seed // 30 % 10
    if chinese:
        name = _FAMILY_ZH[last] + _GIVEN_ZH[first]
        mailbox = f"{person_id.lower()}"
    else:
        name = f"{_GIVEN_EN[first]} {_FAMILY_EN[last]}"
        mailbox = f"{_GIVEN_EN[first]}.{_FAMILY_EN[last]}.{person_id}".lower()
    return DemoMember(
        person_id,
        name,
        role,
        grid_code,
        email=f"{mailbox}@example.org",
        phone=f"+1-212-555-{100 + seed % 100:04d}",
        language="zh" if chinese else "en",
        department_code=department_code,
        place_code=place,
    )
