"""Who calls Grid+: the roles from DESIGN.md and the caller with its scope claims.

Pure values, so domain code can decide access without reaching the token machinery in kit.auth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    GRID_CHIEF = "grid_chief"
    DEPARTMENT_STAFF = "department_staff"
    DEPARTMENT_HEAD = "department_head"
    INSPECTOR = "inspector"
    ADMIN = "admin"
    SERVICE = "service"  # another Grid+ service calling on its own behalf


ALL_ROLES = frozenset(Role)
STAFF_ROLES = frozenset(ALL_ROLES - {Role.RESIDENT})


@dataclass(frozen=True)
class Principal:
    """Who is calling: subject id, role, and the scope claims the role carries."""

    subject: str
    role: Role
    grid_codes: tuple[str, ...] = ()  # workers and chiefs: the grid subtrees they belong to
    department: str | None = None  # department staff and heads
    claims: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
