"""DispatchService: proto in, use case, proto out."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

import grpc

from gridplus.api.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from gridplus.dispatch import convert, handlers
from gridplus.dispatch.domain.access import Visibility, visibility_for
from gridplus.dispatch.storage.repository import Cursor
from gridplus.kit.auth import STAFF_ROLES, current_principal
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.interceptors import AuthPolicy, service_policy

SERVICE_NAME = dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"].full_name

POLICY: AuthPolicy = service_policy(
    SERVICE_NAME, {"GetAssignment": STAFF_ROLES, "ListAssignments": STAFF_ROLES}
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


class DispatchServicer(dispatch_pb2_grpc.DispatchServiceServicer):
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def GetAssignment(
        self, request: dispatch_pb2.GetAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.GetAssignmentResponse:
        if not request.petition_id:
            raise InvalidArgument.single("petition_id", "required")
        with transaction(self._sessions) as session:
            assignment = handlers.get_assignment(
                session, petition_id=request.petition_id, visibility=_caller_visibility()
            )
        return dispatch_pb2.GetAssignmentResponse(assignment=convert.assignment_message(assignment))

    def ListAssignments(
        self, request: dispatch_pb2.ListAssignmentsRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListAssignmentsResponse:
        size = _page_size(request.page_size)
        filters = [request.assignee_id, request.grid_code]
        after = _read_token(request.page_token, filters) if request.page_token else None
        with transaction(self._sessions) as session:
            # One extra row tells whether another page follows.
            found = handlers.list_assignments(
                session,
                assignee_id=request.assignee_id,
                grid_code=request.grid_code,
                visibility=_caller_visibility(),
                after=after,
                limit=size + 1,
            )
        page = found[:size]
        response = dispatch_pb2.ListAssignmentsResponse(
            assignments=[convert.assignment_message(a) for a in page]
        )
        if len(found) > size:
            last = page[-1]
            response.next_page_token = _write_token(
                Cursor(last.deadline, last.petition_id), filters
            )
        return response


def _caller_visibility() -> Visibility:
    principal = current_principal()
    return visibility_for(principal.role.value, principal.subject, principal.grid_codes)


def _page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)  # larger asks get the largest page (AIP-158)


def _write_token(cursor: Cursor, filters: list[str]) -> str:
    data = {"d": cursor.deadline.isoformat(), "p": cursor.petition_id, "f": filters}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _read_token(token: str, filters: list[str]) -> Cursor:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = Cursor(datetime.fromisoformat(data["d"]), str(data["p"]))
        same_query = data["f"] == filters
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidArgument.single("page_token", "not a token this API returned") from None
    if not same_query:
        raise InvalidArgument.single("page_token", "belongs to a query with other filters")
    return cursor
