"""Which assignments a caller may see (DESIGN: a worker or chief sees the grid subtrees they
belong to; other staff roles see all of dispatch's assignments in this slice)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gridplus.dispatch.domain.routing import Assignment

_SCOPED_ROLES = frozenset({"grid_worker", "grid_chief"})


@dataclass(frozen=True)
class Visibility:
    """Everything, or: assignments whose grid path meets `grid_codes`, plus the caller's own."""

    everything: bool
    grid_codes: tuple[str, ...] = ()
    person_id: str = ""

    def allows(self, assignment: Assignment) -> bool:
        if self.everything or assignment.assignee_id == self.person_id:
            return True
        return any(code in assignment.grid.path for code in self.grid_codes)


EVERYTHING = Visibility(everything=True)


def visibility_for(role: str, person_id: str, grid_codes: Iterable[str]) -> Visibility:
    if role not in _SCOPED_ROLES:
        return EVERYTHING
    return Visibility(everything=False, grid_codes=tuple(grid_codes), person_id=person_id)
