"""People in a grid's organisation chain: who they are, their role, the grid they serve.

Roles are the lowercased names of gridplus.grid.v1.MemberRole (grid_worker, grid_chief, ...), so
the JWT role names of workers and chiefs, the stored strings and the API enum line up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gridplus.grid_registry.domain.grids import GridError, GridSet
from gridplus.grid_registry.domain.places import Place


class MemberRole(StrEnum):
    GRID_WORKER = "grid_worker"
    GRID_CHIEF = "grid_chief"
    BUILDING_CHIEF = "building_chief"
    UNIT_CHIEF = "unit_chief"
    STREET_CHIEF = "street_chief"
    LANE_CHIEF = "lane_chief"
    DEPARTMENT_STAFF = "department_staff"
    DEPARTMENT_HEAD = "department_head"
    INSPECTOR = "inspector"
    VOLUNTEER = "volunteer"


class MemberInvalid(GridError):
    """A member that cannot be attached to the grid set; `person_id` names them."""

    def __init__(self, person_id: str, reason: str) -> None:
        super().__init__(f"member {person_id!r}: {reason}")
        self.person_id = person_id
        self.reason = reason


class MemberLike(Protocol):
    """Anything shaped like a member (e.g. demo_workers.DemoMember), role as a plain string.

    Optional attributes read when present: email, phone, language, department_code, place_code.
    """

    @property
    def person_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def grid_code(self) -> str: ...


@dataclass(frozen=True)
class Member:
    person_id: str
    display_name: str
    role: MemberRole
    grid_code: str
    # Work contact details ("" = unknown) and preferred language (BCP 47, "" = zh).
    email: str = ""
    phone: str = ""
    language: str = ""
    # For department staff and heads: their department's code.
    department_code: str = ""
    # A building or unit (micro-grid) of `grid_code` the person serves, e.g. a building chief's.
    place_code: str = ""


def check_members(
    grid_set: GridSet, items: Iterable[MemberLike], places: Iterable[Place] = ()
) -> list[Member]:
    """Members with known roles, attached to grids of `grid_set`, each (person, role, grid) once;
    a member's place must be a building or unit of the member's grid."""
    place_grid = {place.code: place.grid_code for place in places}
    members: list[Member] = []
    seen: set[tuple[str, str, str]] = set()
    for item in items:
        person_id = item.person_id.strip() if item.person_id else ""
        if not person_id:
            raise MemberInvalid(str(item.person_id), "person_id must not be empty")
        try:
            role = MemberRole(item.role)
        except ValueError:
            raise MemberInvalid(person_id, f"unknown role {item.role!r}") from None
        if item.grid_code not in grid_set:
            raise MemberInvalid(person_id, f"grid {item.grid_code!r} is not in the grid set")
        key = (person_id, role.value, item.grid_code)
        if key in seen:
            raise MemberInvalid(person_id, f"listed twice as {role.value} of {item.grid_code}")
        seen.add(key)
        place_code = getattr(item, "place_code", "")
        if place_code and place_grid.get(place_code) != item.grid_code:
            raise MemberInvalid(
                person_id, f"place {place_code!r} is not a building or unit of {item.grid_code}"
            )
        members.append(
            Member(
                person_id,
                item.display_name,
                role,
                item.grid_code,
                email=getattr(item, "email", ""),
                phone=getattr(item, "phone", ""),
                language=getattr(item, "language", ""),
                department_code=getattr(item, "department_code", ""),
                place_code=place_code,
            )
        )
    return members
