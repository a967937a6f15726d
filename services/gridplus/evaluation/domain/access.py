"""Who may read which scorecard (DESIGN security: a worker or chief sees the grid subtree they
belong to, a department its own). Stars and rankings are public to staff (评星公示).

Who may read a petition's follow-up (the resident's rating and words), as petition's own rule
for the petition: its reporters (and those of duplicates merged into it); grid workers and
chiefs whose grids hold its grid, and its worker; the staff and heads of the department holding
it; admins, inspectors and services. Anyone else is answered as for an unknown petition."""

from __future__ import annotations

from collections.abc import Set

from gridplus.evaluation.domain.follow_up import FollowUp
from gridplus.evaluation.domain.scorecard import Subject, SubjectKind
from gridplus.kit.errors import PermissionDenied
from gridplus.kit.roles import Principal, Role

# Roles that see every subject: the city's overview.
READ_ALL = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SERVICE, Role.DEPARTMENT_HEAD})


def check_scorecard_access(principal: Principal, subject: Subject, placed_in: Set[str]) -> None:
    """`placed_in`: grid codes whose subtree holds the subject (a grid's path, or every grid
    on the paths of a worker's petitions)."""
    if principal.role in READ_ALL or subject.kind is SubjectKind.CITY:
        return
    if subject.kind is SubjectKind.DEPARTMENT:
        if principal.department == subject.subject_id:
            return
        raise PermissionDenied("department staff see their own department's scorecard")
    if subject.kind is SubjectKind.WORKER and subject.subject_id == principal.subject:
        return
    if principal.role in (Role.GRID_WORKER, Role.GRID_CHIEF) and placed_in & set(
        principal.grid_codes
    ):
        return
    raise PermissionDenied("you see scorecards of your own grid subtree only")


# Roles that read every follow-up: the city's overview and the services acting for it.
READ_ALL_FOLLOW_UPS = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SERVICE})
_GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
_DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD})


def may_read_follow_up(principal: Principal, follow_up: FollowUp) -> bool:
    if principal.role in READ_ALL_FOLLOW_UPS:
        return True
    if principal.role is Role.RESIDENT:
        return principal.subject in follow_up.reporter_ids
    if principal.role in _GRID_ROLES:
        return principal.subject == follow_up.worker_id or bool(
            follow_up.grid_codes & set(principal.grid_codes)
        )
    if principal.role in _DEPARTMENT_ROLES:
        # A department token without its claim belongs to no department: it reads none.
        return principal.department is not None and principal.department == (
            follow_up.department_code
        )
    return False


# Who reads a grid's weekly digest: the grid roles of its subtree (a level-1 chief reads every
# grid under theirs), inspectors and admins.
_DIGEST_READ_ALL = frozenset({Role.ADMIN, Role.INSPECTOR})


def check_digest_access(principal: Principal, placed_in: Set[str]) -> None:
    """`placed_in`: the grid and the grids above it."""
    if principal.role in _DIGEST_READ_ALL:
        return
    if principal.role in _GRID_ROLES and placed_in & set(principal.grid_codes):
        return
    raise PermissionDenied("you read the digests of your own grid subtree only")
