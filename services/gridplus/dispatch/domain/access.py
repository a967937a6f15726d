"""Which assignments a caller may see and change. Scope is checked on every call, reads and writes
alike; an assignment outside the caller's scope answers NOT_FOUND, as if it did not exist.

- grid workers and chiefs: assignments whose grid path meets the grids on their token (claim
  `grids`), plus those assigned to them;
- department staff and heads: the assignments their department holds now (claim `department`);
  a department token without the claim sees nothing;
- admins, inspectors and services: everything (inspectors only read: the RPC policy keeps them
  off every change);
- any other role: nothing.

Who may take a petition over (`to_assignee_id` of a transfer): the grid workers and chiefs of its
level-3 grid and the chiefs of the grids enclosing it, the same people routing chooses from.
Departments are not assignees: a department holds an assignment through `department_code`, and
who among its staff works on it is the department's own affair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.places import AssigneeRole
from gridplus.kit.errors import InvalidArgument, NotFound, PermissionDenied
from gridplus.kit.roles import Principal, Role

GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD})
SEE_ALL = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SERVICE})


@dataclass(frozen=True)
class Visibility:
    """Everything; or one department's assignments; or assignments whose grid path meets
    `grid_codes`, plus the caller's own. The empty Visibility sees nothing."""

    everything: bool = False
    grid_codes: tuple[str, ...] = ()
    person_id: str = ""
    department: str = ""

    @property
    def sees_anything(self) -> bool:
        return bool(self.everything or self.grid_codes or self.person_id or self.department)

    def allows(self, assignment: Assignment) -> bool:
        if self.everything:
            return True
        if self.department:
            return assignment.department_code == self.department
        if self.person_id and assignment.assignee_id == self.person_id:
            return True
        return self.covers(assignment.grid.path)

    def covers(self, grid_path: Sequence[str]) -> bool:
        """A place by its grid path alone (a petition in triage has no assignee nor department
        yet, so only the grid roles' scope and `everything` reach it)."""
        return self.everything or any(code in grid_path for code in self.grid_codes)


EVERYTHING = Visibility(everything=True)
NOTHING = Visibility()


def visibility_for(principal: Principal) -> Visibility:
    if principal.role in SEE_ALL:
        return EVERYTHING
    if principal.role in GRID_ROLES:
        return Visibility(grid_codes=principal.grid_codes, person_id=principal.subject)
    if principal.role in DEPARTMENT_ROLES and principal.department:
        return Visibility(department=principal.department)
    return NOTHING


def not_found(petition_id: str) -> NotFound:
    """The one answer for a missing assignment and for one outside the caller's scope, so the
    answer tells nothing about assignments the caller may not see."""
    return NotFound(f"petition {petition_id} has no assignment")


def check_transfer(principal: Principal, assignment: Assignment) -> None:
    """Who may move an assignment, beyond seeing it. A grid worker moves only their own. A
    department moves only what it holds (out to another department's queue, or keeps it); it
    can never pull another department's assignment in, because it cannot see it. Whatever lands
    in a department arrives unaccepted: its own staff accept it (or refuse it, 退单)."""
    if principal.role is Role.GRID_WORKER and assignment.assignee_id != principal.subject:
        raise PermissionDenied("a grid worker transfers only their own assignments")
    if principal.role in DEPARTMENT_ROLES and assignment.department_code != principal.department:
        raise not_found(assignment.petition_id)


def eligible_assignee(
    person_id: str, handlers: Mapping[str, AssigneeRole], *, grid_code: str
) -> AssigneeRole:
    """The role `person_id` would take the petition in, or a field error: only the people who
    may handle petitions of the grid (`handlers`, from the grid registry) may be named."""
    role = handlers.get(person_id)
    if role is None:
        raise InvalidArgument.single(
            "to_assignee_id",
            f"{person_id} is not a grid worker or chief of grid {grid_code} or of a grid "
            "enclosing it",
        )
    return role


def check_department(code: str, known: frozenset[str] | None, *, field: str) -> None:
    """`known`: the departments the grid registry lists; None when it cannot say."""
    if known is not None and code not in known:
        raise InvalidArgument.single(field, f"unknown department {code}")
