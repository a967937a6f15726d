"""Who a rule wants told, before anyone is looked up: handlers/recipients.py finds the people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """One person by id; `grid_code` is where their contacts are found (empty: inbox only)."""

    person_id: str
    grid_code: str = ""


@dataclass(frozen=True)
class GridChiefs:
    """The chiefs (网格长) of one grid."""

    grid_code: str


@dataclass(frozen=True)
class GridWorkers:
    """The grid workers (网格员) of one grid."""

    grid_code: str


@dataclass(frozen=True)
class DepartmentPeople:
    """A department's head, and with `staff` also its staff serving in `grid_code`'s chain."""

    department_code: str
    grid_code: str = ""
    staff: bool = False


@dataclass(frozen=True)
class Reporters:
    """The reporters of a petition and of its merged duplicates (resolved by petition)."""

    petition_id: str
    via_duplicate_only: bool = False


Audience = Person | GridChiefs | GridWorkers | DepartmentPeople | Reporters


@dataclass(frozen=True)
class Member:
    """A person in a grid's organisation chain, as grid-registry knows them."""

    person_id: str
    grid_code: str
    role: str  # grid_worker, grid_chief, department_staff, department_head, ...
    department_code: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""

    def __repr__(self) -> str:
        return f"Member({self.person_id!r}, {self.grid_code!r}, {self.role!r})"
