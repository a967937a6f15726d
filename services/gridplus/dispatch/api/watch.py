"""WatchAssignments: committed changes of assignments, in change-log order, within the caller's
scope. Department staff and heads watch their own department only (empty filter: theirs); a
department token without the claim streams nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.dispatch.domain.access import DEPARTMENT_ROLES, Visibility
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.storage import assignments, changes
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument, PermissionDenied
from gridplus.kit.roles import Principal, Role

WATCH_ROLES = frozenset(
    {Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.GRID_CHIEF, Role.ADMIN, Role.SERVICE}
)
POLL_SECONDS = 0.5

Change = tuple[int, Assignment, bool]  # change id, the assignment now, whether it closed


class AssignmentWatch:
    def __init__(
        self,
        sessions: SessionFactory,
        request: dispatch_pb2.WatchAssignmentsRequest,
        principal: Principal,
        visibility: Visibility,
    ) -> None:
        if request.after_change_id < 0:
            raise InvalidArgument.single("after_change_id", "must not be negative")
        department = request.department_code
        if principal.role in DEPARTMENT_ROLES:
            own = principal.department or ""
            if department and department != own:
                raise PermissionDenied(f"department staff watch department {own} only")
            department = own
        self._sessions = sessions
        self._department = department
        self._grid_code = request.grid_code
        self._visibility = visibility
        self._cursor = request.after_change_id

    def follow(self, active: Callable[[], bool]) -> Iterator[Change]:
        if self._cursor == 0:
            with transaction(self._sessions) as session:
                self._cursor = changes.latest(session)
        while active():
            found, batch = self._next_batch()
            yield from batch
            if not found:
                time.sleep(POLL_SECONDS)

    def _next_batch(self) -> tuple[bool, list[Change]]:
        if not self._visibility.sees_anything:
            return False, []  # nothing to read: no need to walk the change log
        batch: list[Change] = []
        with transaction(self._sessions) as session:
            found = changes.after(session, change_id=self._cursor, department_code=self._department)
            for change_id, petition_id in found:
                self._cursor = change_id
                assignment = assignments.get(session, petition_id=petition_id)
                if assignment is None or not self._shows(assignment):
                    continue
                batch.append((change_id, assignment, assignment.closed))
        return bool(found), batch

    def _shows(self, assignment: Assignment) -> bool:
        if not self._visibility.allows(assignment):
            return False
        return not self._grid_code or self._grid_code in assignment.grid.path
