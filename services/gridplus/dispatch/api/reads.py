"""DispatchService's reading methods: an assignment, lists of open and overdue assignments, the
triage queue, and the stream of committed changes, each within the caller's scope."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.dispatch.api import convert, paging, watch
from gridplus.dispatch.api.intake import code
from gridplus.dispatch.domain.access import Visibility, visibility_for
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.handlers import assignments, triage
from gridplus.dispatch.storage.assignments import Cursor
from gridplus.kit.auth import current_principal
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction


class Reads:
    """Mixed into the servicer, which provides the session factory and the clock."""

    _sessions: SessionFactory
    _clock: Clock

    def _message(self, assignment: Assignment) -> dispatch_pb2.Assignment:
        return convert.assignment_message(assignment, self._clock.now())

    def GetAssignment(
        self, request: dispatch_pb2.GetAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.GetAssignmentResponse:
        petition_id = code(request.petition_id, field="petition_id", required=True)
        with transaction(self._sessions) as session:
            assignment = assignments.get_assignment(
                session, petition_id=petition_id, visibility=caller_visibility()
            )
        return dispatch_pb2.GetAssignmentResponse(assignment=self._message(assignment))

    def ListAssignments(
        self, request: dispatch_pb2.ListAssignmentsRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListAssignmentsResponse:
        size = paging.page_size(request.page_size)
        filters = [request.assignee_id, request.grid_code]
        after = paging.read_token(request.page_token, filters) if request.page_token else None
        with transaction(self._sessions) as session:
            # One extra row tells whether another page follows.
            found = assignments.list_assignments(
                session,
                assignee_id=request.assignee_id,
                grid_code=request.grid_code,
                visibility=caller_visibility(),
                after=after,
                limit=size + 1,
            )
        response = dispatch_pb2.ListAssignmentsResponse(
            assignments=[self._message(a) for a in found[:size]]
        )
        response.next_page_token = _next_token(found, size, filters)
        return response

    def ListOverdue(
        self, request: dispatch_pb2.ListOverdueRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListOverdueResponse:
        size = paging.page_size(request.page_size)
        filters = ["overdue", request.grid_code, request.department_code]
        after = paging.read_token(request.page_token, filters) if request.page_token else None
        with transaction(self._sessions) as session:
            found = assignments.list_overdue(
                session,
                now=self._clock.now(),
                grid_code=request.grid_code,
                department_code=request.department_code,
                visibility=caller_visibility(),
                after=after,
                limit=size + 1,
            )
        response = dispatch_pb2.ListOverdueResponse(
            assignments=[self._message(a) for a in found[:size]]
        )
        response.next_page_token = _next_token(found, size, filters)
        return response

    def ListTriage(
        self, request: dispatch_pb2.ListTriageRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListTriageResponse:
        size = paging.page_size(request.page_size)
        after = None
        if request.page_token:
            cursor = paging.read_token(request.page_token, ["triage"])
            after = (cursor.deadline, cursor.petition_id)
        with transaction(self._sessions) as session:
            items = triage.list_triage(
                session, visibility=caller_visibility(), after=after, limit=size + 1
            )
        response = dispatch_pb2.ListTriageResponse(
            items=[convert.triage_item(item) for item in items[:size]]
        )
        if len(items) > size:
            last = items[size - 1]
            response.next_page_token = paging.write_token(
                Cursor(last.sent_at, last.petition_id), ["triage"]
            )
        return response

    def CountLights(
        self, request: dispatch_pb2.CountLightsRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.CountLightsResponse:
        now = self._clock.now()
        with transaction(self._sessions) as session:
            counted = assignments.count_lights(
                session,
                now=now,
                level=request.level,
                grid_code=request.grid_code,
                department_code=request.department_code,
                visibility=caller_visibility(),
            )
        response = dispatch_pb2.CountLightsResponse(
            grids=[
                dispatch_pb2.GridLightCount(
                    grid_code=grid.grid_code, red=grid.red, yellow=grid.yellow, green=grid.green
                )
                for grid in counted
            ]
        )
        response.counted_at.FromDatetime(now)
        return response

    def WatchAssignments(
        self, request: dispatch_pb2.WatchAssignmentsRequest, context: grpc.ServicerContext
    ) -> Iterator[dispatch_pb2.WatchAssignmentsResponse]:
        changes = watch.AssignmentWatch(
            self._sessions, request, current_principal(), caller_visibility()
        )
        for change_id, assignment, closed in changes.follow(context.is_active):
            yield dispatch_pb2.WatchAssignmentsResponse(
                change_id=change_id, assignment=self._message(assignment), closed=closed
            )


def caller_visibility() -> Visibility:
    return visibility_for(current_principal())


def _next_token(found: list[Assignment], size: int, filters: list[str]) -> str:
    """A token for the page after `found[:size]`; empty when `found` holds no more."""
    if len(found) <= size:
        return ""
    last = found[size - 1]
    return paging.write_token(Cursor(last.deadline, last.petition_id), filters)
