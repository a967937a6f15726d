"""Who may see and change households, and who reads them unmasked (DESIGN.md, Security).

- grid workers and chiefs: households in the grid subtrees on their token (claim `grids`); they
  register, change and remove them and read them in full (they call at the door);
- admins: every household, in full (they answer requests about the data);
- inspectors and Grid+ services: every household, masked (inspectors check the work; dispatch
  and evaluation need ids and care groups, never a name);
- residents and departments: refused by the RPC policy (nothing of their work needs the register).
A household outside a grid caller's scope answers NOT_FOUND, as an unknown one does.

Reads of a household with care members by staff (every role but a service) need a reason and are
written to the care access log; inspectors and admins list the log, chiefs for their subtree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gridplus.grid_registry.domain.grids import GridSet
from gridplus.kit.roles import Principal, Role

GRID_STAFF = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
SEE_FULL = frozenset({Role.ADMIN})
SEE_MASKED = frozenset({Role.INSPECTOR, Role.SERVICE})
CHANGERS = GRID_STAFF | {Role.ADMIN}
READERS = GRID_STAFF | SEE_FULL | SEE_MASKED
LOG_READERS = frozenset({Role.INSPECTOR, Role.ADMIN, Role.GRID_CHIEF})
# A check of one grid against a caller: in_scope, may_read_log.
ScopeCheck = Callable[[Principal, str, GridSet], bool]


def in_scope(viewer: Principal, grid_code: str, grids: GridSet) -> bool:
    """Whether `viewer` reaches households of `grid_code` at all."""
    if viewer.role in GRID_STAFF:
        return _within_claims(viewer.grid_codes, grid_code, grids)
    return viewer.role in READERS


def may_change(viewer: Principal, grid_code: str, grids: GridSet) -> bool:
    return viewer.role in CHANGERS and in_scope(viewer, grid_code, grids)


def sees_full(viewer: Principal, grid_code: str, grids: GridSet) -> bool:
    if viewer.role in SEE_FULL:
        return True
    return viewer.role in GRID_STAFF and in_scope(viewer, grid_code, grids)


def reads_are_logged(viewer: Principal) -> bool:
    """Staff reading a special-care record give a reason, kept in the access log; a service
    reads ids and groups only (masked) for its own work."""
    return viewer.role is not Role.SERVICE


def may_read_log(viewer: Principal, grid_code: str, grids: GridSet) -> bool:
    """Inspectors and admins read the whole log; a chief only reads of their own subtree."""
    if viewer.role in (Role.INSPECTOR, Role.ADMIN):
        return True
    return viewer.role is Role.GRID_CHIEF and _within_claims(viewer.grid_codes, grid_code, grids)


def scope_roots(viewer: Principal, grids: GridSet) -> list[str] | None:
    """The subtrees a grid caller is limited to (claims naming no grid of this set are left
    out); None when the caller reaches the whole city."""
    if viewer.role in GRID_STAFF:
        return [code for code in viewer.grid_codes if code in grids]
    return None


def _within_claims(claims: Iterable[str], grid_code: str, grids: GridSet) -> bool:
    if grid_code not in grids:
        return False
    path = grids.path(grid_code)
    return any(code in path for code in claims)
