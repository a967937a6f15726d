"""WatchAssignments: committed changes of assignments, in change-log order, within the caller's
scope. Department staff and heads watch their own department only (empty filter: theirs); a
department token without the claim streams nothing.

Change ids are given at insert, but on PostgreSQL a transaction holding a lower id may commit
after one holding a higher id (two replicas, or two threads of one). The watch therefore never
moves past a missing id until it appears, or until it has been missing longer than GAP_GRACE
(a rolled-back transaction leaves a hole for good): a change is never skipped, and a watcher
resuming after the last change id it was given (`after_change_id`) neither misses nor repeats one.
"""

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
GAP_GRACE_SECONDS = 10.0  # far longer than any assignment transaction
BATCH = 200
_WIDEST_GAP = 10_000  # ids watched one by one in a hole; a wider one is timed as a whole

Change = tuple[int, Assignment, bool]  # change id, the assignment now, whether it closed


class AssignmentWatch:
    def __init__(
        self,
        sessions: SessionFactory,
        request: dispatch_pb2.WatchAssignmentsRequest,
        principal: Principal,
        visibility: Visibility,
        *,
        monotonic: Callable[[], float] = time.monotonic,
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
        self._monotonic = monotonic
        self._missing_since: dict[int, float] = {}  # missing id -> when first noticed

    @property
    def cursor(self) -> int:
        """Every change up to this id has been delivered (or was not the caller's)."""
        return self._cursor

    def follow(self, active: Callable[[], bool]) -> Iterator[Change]:
        if self._cursor == 0:
            with transaction(self._sessions) as session:
                self._cursor = changes.latest(session)
        while active():
            moved, batch = self.next_batch()
            yield from batch
            if not moved:
                time.sleep(POLL_SECONDS)

    def next_batch(self) -> tuple[bool, list[Change]]:
        """The caller's changes after the cursor, up to the first missing id still in its grace;
        whether the cursor moved."""
        if not self._visibility.sees_anything:
            return False, []  # nothing to read: no need to walk the change log
        start = self._cursor
        batch: list[Change] = []
        with transaction(self._sessions) as session:
            for change_id, petition_id, department in changes.after(
                session, change_id=self._cursor, limit=BATCH
            ):
                if change_id > self._cursor + 1 and not self._hole_given_up(change_id):
                    break  # a lower id may still commit: hold back what follows it
                self._cursor = change_id
                if self._department and department != self._department:
                    continue
                assignment = assignments.get(session, petition_id=petition_id)
                if assignment is None or not self._shows(assignment):
                    continue
                batch.append((change_id, assignment, assignment.closed))
        for gone in [i for i in self._missing_since if i <= self._cursor]:
            del self._missing_since[gone]
        return self._cursor != start, batch

    def _hole_given_up(self, next_id: int) -> bool:
        """Whether every id between the cursor and `next_id` has been missing for the grace."""
        now = self._monotonic()
        first = self._cursor + 1
        ids = range(first, min(next_id, first + _WIDEST_GAP))
        seen = [self._missing_since.setdefault(i, now) for i in ids]
        return all(now - since >= GAP_GRACE_SECONDS for since in seen)

    def _shows(self, assignment: Assignment) -> bool:
        if not self._visibility.allows(assignment):
            return False
        return not self._grid_code or self._grid_code in assignment.grid.path
