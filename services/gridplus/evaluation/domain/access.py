"""Who may read which scorecard (DESIGN security: a worker or chief sees the grid subtree they
belong to, a department its own). Stars and rankings are public to staff (评星公示)."""

from __future__ import annotations

from collections.abc import Set

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
