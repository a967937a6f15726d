"""DispatchService: proto in, use case, proto out."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterator
from datetime import datetime

import grpc

from gridplus.api.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from gridplus.dispatch import convert, handlers, work
from gridplus.dispatch.directory import GridDirectory
from gridplus.dispatch.domain.access import Visibility, visibility_for
from gridplus.dispatch.domain.routing import Assignment
from gridplus.dispatch.storage import changes, repository
from gridplus.dispatch.storage.models import CLOSED, AssignmentRow
from gridplus.dispatch.storage.repository import Cursor
from gridplus.kit.auth import STAFF_ROLES, Role, current_principal
from gridplus.kit.clock import Clock, SystemClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.outbox import Outbox

SERVICE_NAME = dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"].full_name

# Who may choose a category in triage: grid chiefs and the city's operators, not every worker.
TRIAGE_ROLES = frozenset({Role.GRID_CHIEF, Role.DEPARTMENT_HEAD, Role.ADMIN})
CLOCK_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.ADMIN})
TRANSFER_ROLES = frozenset(
    {Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.ADMIN}
)
WHISTLE_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.ADMIN})
WATCH_ROLES = frozenset(
    {Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.GRID_CHIEF, Role.ADMIN, Role.SERVICE}
)
WATCH_POLL_SECONDS = 0.5

POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        "GetAssignment": STAFF_ROLES,
        "ListAssignments": STAFF_ROLES,
        "ListOverdue": STAFF_ROLES,
        "PauseClock": CLOCK_ROLES,
        "ResumeClock": CLOCK_ROLES,
        "ListTriage": TRIAGE_ROLES,
        "SetTriageCategory": TRIAGE_ROLES,
        "AcceptAssignment": STAFF_ROLES - {Role.INSPECTOR, Role.SERVICE},
        "TransferAssignment": TRANSFER_ROLES,
        "RefuseAssignment": work.DEPARTMENT_ROLES,
        "BlowWhistle": WHISTLE_ROLES,
        "ReportToWhistle": work.DEPARTMENT_ROLES,
        "WatchAssignments": WATCH_ROLES,
    },
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


class DispatchServicer(dispatch_pb2_grpc.DispatchServiceServicer):
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Clock | None = None,
        keeper: handlers.ClockKeeper | None = None,
        router: handlers.PetitionRouter | None = None,
        outbox: Outbox | None = None,
        directory: GridDirectory | None = None,
        whistle_report_minutes: int = 30,
    ) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()
        self._keeper = keeper
        self._router = router
        self._outbox = outbox
        self._directory = directory
        self._report_minutes = whistle_report_minutes

    def _message(self, assignment: Assignment) -> dispatch_pb2.Assignment:
        return convert.assignment_message(assignment, self._clock.now())

    def GetAssignment(
        self, request: dispatch_pb2.GetAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.GetAssignmentResponse:
        if not request.petition_id:
            raise InvalidArgument.single("petition_id", "required")
        with transaction(self._sessions) as session:
            assignment = handlers.get_assignment(
                session, petition_id=request.petition_id, visibility=_caller_visibility()
            )
        return dispatch_pb2.GetAssignmentResponse(assignment=self._message(assignment))

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
            assignments=[self._message(a) for a in page]
        )
        if len(found) > size:
            last = page[-1]
            response.next_page_token = _write_token(
                Cursor(last.deadline, last.petition_id), filters
            )
        return response

    def ListOverdue(
        self, request: dispatch_pb2.ListOverdueRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListOverdueResponse:
        size = _page_size(request.page_size)
        filters = ["overdue", request.grid_code, request.department_code]
        after = _read_token(request.page_token, filters) if request.page_token else None
        with transaction(self._sessions) as session:
            found = repository.list_overdue(
                session,
                now=self._clock.now(),
                grid_code=request.grid_code,
                department_code=request.department_code,
                visibility=_caller_visibility(),
                after=after,
                limit=size + 1,
            )
        page = found[:size]
        response = dispatch_pb2.ListOverdueResponse(assignments=[self._message(a) for a in page])
        if len(found) > size:
            last = page[-1]
            response.next_page_token = _write_token(
                Cursor(last.deadline, last.petition_id), filters
            )
        return response

    def PauseClock(
        self, request: dispatch_pb2.PauseClockRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.PauseClockResponse:
        keeper = self._need_keeper()
        if not request.petition_id:
            raise InvalidArgument.single("petition_id", "required")
        with transaction(self._sessions) as session:
            assignment = keeper.pause(
                session, petition_id=request.petition_id, visibility=_caller_visibility()
            )
        return dispatch_pb2.PauseClockResponse(assignment=self._message(assignment))

    def ResumeClock(
        self, request: dispatch_pb2.ResumeClockRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ResumeClockResponse:
        keeper = self._need_keeper()
        if not request.petition_id:
            raise InvalidArgument.single("petition_id", "required")
        with transaction(self._sessions) as session:
            assignment = keeper.resume(
                session, petition_id=request.petition_id, visibility=_caller_visibility()
            )
        return dispatch_pb2.ResumeClockResponse(assignment=self._message(assignment))

    def ListTriage(
        self, request: dispatch_pb2.ListTriageRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListTriageResponse:
        size = _page_size(request.page_size)
        after = None
        if request.page_token:
            cursor = _read_token(request.page_token, ["triage"])
            after = (cursor.deadline, cursor.petition_id)
        with transaction(self._sessions) as session:
            rows = repository.list_triage(session, after=after, limit=size + 1)
            items = [convert.triage_item(row) for row in rows]
            last_key = (
                (repository.utc(rows[size - 1].sent_at), rows[size - 1].petition_id)
                if len(rows) > size
                else None
            )
        response = dispatch_pb2.ListTriageResponse(items=items[:size])
        if last_key is not None:
            response.next_page_token = _write_token(Cursor(*last_key), ["triage"])
        return response

    def SetTriageCategory(
        self, request: dispatch_pb2.SetTriageCategoryRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.SetTriageCategoryResponse:
        router = self._router
        if router is None:
            raise FailedPrecondition("triage is not served by this dispatch instance")
        if not request.petition_id:
            raise InvalidArgument.single("petition_id", "required")
        if not request.category_code:
            raise InvalidArgument.single("category_code", "required")
        with transaction(self._sessions) as session:
            row = repository.triage_row(session, petition_id=request.petition_id)
            if row is None:
                raise NotFound(f"petition {request.petition_id} is not in triage")
            session.expunge(row)
        person = current_principal().subject
        # Grid-registry is asked before the transaction opens.
        placement = router.prepare_triage(row, request.category_code, person)
        with transaction(self._sessions) as session:
            outcome = router.route_triaged(
                session, petition_id=request.petition_id, placement=placement
            )
            assignment = repository.get(session, petition_id=request.petition_id)
        if outcome != "assigned" or assignment is None:
            raise FailedPrecondition(f"petition {request.petition_id} could not be assigned")
        return dispatch_pb2.SetTriageCategoryResponse(assignment=self._message(assignment))

    def AcceptAssignment(
        self, request: dispatch_pb2.AcceptAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.AcceptAssignmentResponse:
        with transaction(self._sessions) as session:
            assignment = work.accept(
                session, petition_id=request.petition_id, caller=_caller(), at=self._clock.now()
            )
        return dispatch_pb2.AcceptAssignmentResponse(assignment=self._message(assignment))

    def TransferAssignment(
        self, request: dispatch_pb2.TransferAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.TransferAssignmentResponse:
        with transaction(self._sessions) as session:
            assignment = work.transfer(
                session,
                petition_id=request.petition_id,
                to_assignee_id=request.to_assignee_id.strip(),
                to_department_code=request.to_department_code.strip(),
                reason=request.reason,
                caller=_caller(),
                outbox=self._need_outbox(),
                at=self._clock.now(),
            )
        return dispatch_pb2.TransferAssignmentResponse(assignment=self._message(assignment))

    def RefuseAssignment(
        self, request: dispatch_pb2.RefuseAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.RefuseAssignmentResponse:
        if not request.petition_id:
            raise InvalidArgument.single("petition_id", "required")
        with transaction(self._sessions) as session:
            grid_code = work.grid_of(session, petition_id=request.petition_id)
        # The grid's chiefs (who arbitrate a repeated refusal), asked before the transaction.
        chiefs = [
            member.person_id
            for member in (self._directory.members(grid_code) if self._directory else [])
            if member.role.value == "grid_chief"
        ]
        with transaction(self._sessions) as session:
            assignment, arbitrator = work.refuse(
                session,
                petition_id=request.petition_id,
                reason=request.reason,
                caller=_caller(),
                grid_chiefs=chiefs,
                outbox=self._need_outbox(),
                at=self._clock.now(),
            )
        return dispatch_pb2.RefuseAssignmentResponse(
            assignment=self._message(assignment), arbitrator_id=arbitrator
        )

    def BlowWhistle(
        self, request: dispatch_pb2.BlowWhistleRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.BlowWhistleResponse:
        now = self._clock.now()
        with transaction(self._sessions) as session:
            view = work.blow_whistle(
                session,
                petition_id=request.petition_id,
                department_codes=list(request.department_codes),
                reason=request.reason,
                caller=_caller(),
                report_minutes=self._report_minutes,
                outbox=self._need_outbox(),
                at=now,
            )
            shown = convert.whistle_message(view.whistle, view.reports, now)
        return dispatch_pb2.BlowWhistleResponse(whistle=shown)

    def ReportToWhistle(
        self, request: dispatch_pb2.ReportToWhistleRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ReportToWhistleResponse:
        now = self._clock.now()
        with transaction(self._sessions) as session:
            view, on_time = work.report_to_whistle(
                session,
                whistle_id=request.whistle_id,
                note=request.note,
                caller=_caller(),
                outbox=self._need_outbox(),
                at=now,
            )
            shown = convert.whistle_message(view.whistle, view.reports, now)
        return dispatch_pb2.ReportToWhistleResponse(whistle=shown, on_time=on_time)

    def WatchAssignments(
        self, request: dispatch_pb2.WatchAssignmentsRequest, context: grpc.ServicerContext
    ) -> Iterator[dispatch_pb2.WatchAssignmentsResponse]:
        principal = current_principal()
        visibility = _caller_visibility()
        department = request.department_code
        if principal.role in work.DEPARTMENT_ROLES:
            own = principal.department or ""
            if department and department != own:
                raise PermissionDenied(f"department staff watch department {own} only")
            department = own
        if request.after_change_id < 0:
            raise InvalidArgument.single("after_change_id", "must not be negative")
        cursor = request.after_change_id
        if cursor == 0:
            with transaction(self._sessions) as session:
                cursor = changes.latest(session)
        while context.is_active():
            with transaction(self._sessions) as session:
                found = changes.after(session, change_id=cursor, department_code=department)
                batch = []
                for change_id, petition_id in found:
                    cursor = change_id
                    row = session.get(AssignmentRow, petition_id)
                    if row is None:
                        continue
                    assignment = repository.get(session, petition_id=petition_id)
                    if assignment is None or not visibility.allows(assignment):
                        continue
                    if request.grid_code and request.grid_code not in assignment.grid.path:
                        continue
                    batch.append((change_id, assignment, row.status == CLOSED))
            for change_id, assignment, closed in batch:
                yield dispatch_pb2.WatchAssignmentsResponse(
                    change_id=change_id, assignment=self._message(assignment), closed=closed
                )
            if not found:
                time.sleep(WATCH_POLL_SECONDS)

    def _need_outbox(self) -> Outbox:
        if self._outbox is None:
            raise FailedPrecondition("changes are not served by this dispatch instance")
        return self._outbox

    def _need_keeper(self) -> handlers.ClockKeeper:
        if self._keeper is None:
            raise FailedPrecondition("clocks are not served by this dispatch instance")
        return self._keeper


def _caller() -> work.Caller:
    return work.Caller(current_principal(), _caller_visibility())


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
