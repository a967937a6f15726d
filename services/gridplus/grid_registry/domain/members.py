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
    """Anything shaped like a member (e.g. demo_workers.DemoMember), role as a plain string."""

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


def check_members(grid_set: GridSet, items: Iterable[MemberLike]) -> list[Member]:
    """Members with known roles, attached to grids of `grid_set`, each (person, role, grid) once."""
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
        members.append(Member(person_id, item.display_name, role, item.grid_code))
    return members
