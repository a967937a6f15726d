"""Who may read whose phone and email in the directory (ListMembers, GetChain).

Every staff caller sees names and roles: they say who does what. Contact details go only where
the work needs them (DESIGN.md, Security):
- admins and Grid+ services (notification delivers to these addresses);
- grid workers and chiefs on the person's line of the hierarchy: the person's grid lies in the
  subtree of a grid the caller serves (a chief reaches the workers below), or the caller serves
  inside the person's grid subtree (a worker reaches the chiefs and heads above);
- the person's own department's staff and heads;
- the person themself.
Everyone else (other departments, inspectors) gets the entry with its phone and email empty.
Residents do not reach the directory at all (the RPC policy).

Which grids' people a caller may list at all (`may_read_grid`): grid workers and chiefs only the
grids on their own line (their subtrees and the grids above them); another grid's directory
answers NOT_FOUND, as an unknown grid does (issue 17: a worker had read any grid's people and
places). Departments, inspectors, admins and services serve the whole city and read every grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from gridplus.grid_registry.domain.grids import GridSet
from gridplus.grid_registry.domain.members import Member
from gridplus.kit.roles import Principal, Role

_SEE_ALL = frozenset({Role.ADMIN, Role.SERVICE})
_GRID_STAFF = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
_DEPARTMENT_STAFF = frozenset({Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD})


def may_see_contacts(viewer: Principal, member: Member, grids: GridSet) -> bool:
    if viewer.role in _SEE_ALL or viewer.subject == member.person_id:
        return True
    if viewer.role in _DEPARTMENT_STAFF:
        # A token without its department claim belongs to no department: it sees no contacts.
        return bool(viewer.department) and viewer.department == member.department_code
    if viewer.role in _GRID_STAFF:
        return _on_one_line(viewer.grid_codes, member.grid_code, grids)
    return False


def may_read_grid(viewer: Principal, grid_code: str, grids: GridSet) -> bool:
    """Whether `viewer` may list the people (and places) of `grid_code` at all."""
    if viewer.role in _GRID_STAFF:
        return _on_one_line(viewer.grid_codes, grid_code, grids)
    return True


def as_seen_by(viewer: Principal, members: Iterable[Member], grids: GridSet) -> list[Member]:
    """`members` in order, with phone and email emptied where `viewer` may not see them."""
    return [
        member if may_see_contacts(viewer, member, grids) else replace(member, email="", phone="")
        for member in members
    ]


def _on_one_line(served: Iterable[str], grid_code: str, grids: GridSet) -> bool:
    """True when one of the `served` grids contains `grid_code` or lies inside it."""
    if grid_code not in grids:
        return False
    above_member = grids.path(grid_code)
    for code in served:
        if code in above_member:
            return True
        # A claim naming a grid of an older or other grid set answers nothing, not an error.
        if code in grids and grid_code in grids.path(code):
            return True
    return False
