"""DispatchService: proto in, use case, proto out.

Every call runs within the caller's scope (`domain/access.py`): grid roles their grid subtrees,
department roles their own department, admins, inspectors and services everything. What lies
outside it answers NOT_FOUND, on reads and writes alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gridplus.api.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from gridplus.dispatch import convert, handlers, work
from gridplus.dispatch.api import intake, paging, watch
from gridplus.dispatch.directory import GridDirectory
from gridplus.dispatch.domain.access import DEPARTMENT_ROLES, Visibility, visibility_for
from gridplus.dispatch.domain.routing import Assignment
from gridplus.dispatch.storage import repository
from gridplus.dispatch.storage.repository import Cursor
from gridplus.kit.auth import STAFF_ROLES, Role, current_principal
from gridplus.kit.clock import Clock, SystemClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FailedPrecondition, NotFound
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.outbox import Outbox

SERVICE_NAME = dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"].full_name

# Who may choose a category in triage: grid chiefs (of the petition's grid) and admins. Not
# department heads: a petition in triage has no category yet, so no department holds it.
TRIAGE_ROLES = frozenset({Role.GRID_CHIEF, Role.ADMIN})
CLOCK_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.ADMIN})
TRANSFER_ROLES = frozenset(
    {Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.ADMIN}
)
WHISTLE_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.ADMIN})

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
        "RefuseAssignment": DEPARTMENT_ROLES,
        "BlowWhistle": WHISTLE_ROLES,
        "ReportToWhistle": DEPARTMENT_ROLES,
        "WatchAssignments": watch.WATCH_ROLES,
    },
)


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
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        with transaction(self._sessions) as session:
            assignment = handlers.get_assignment(
                session, petition_id=petition_id, visibility=_caller_visibility()
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
            found = handlers.list_assignments(
                session,
                assignee_id=request.assignee_id,
                grid_code=request.grid_code,
                visibility=_caller_visibility(),
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
            # A department filter naming another department meets the department scope: empty.
            found = repository.list_overdue(
                session,
                now=self._clock.now(),
                grid_code=request.grid_code,
                department_code=request.department_code,
                visibility=_caller_visibility(),
                after=after,
                limit=size + 1,
            )
        response = dispatch_pb2.ListOverdueResponse(
            assignments=[self._message(a) for a in found[:size]]
        )
        response.next_page_token = _next_token(found, size, filters)
        return response

    def PauseClock(
        self, request: dispatch_pb2.PauseClockRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.PauseClockResponse:
        keeper = self._need_keeper()
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        why = intake.text(request.reason, field="reason")
        with transaction(self._sessions) as session:
            assignment = keeper.pause(
                session, petition_id=petition_id, visibility=_caller_visibility(), why=why
            )
        return dispatch_pb2.PauseClockResponse(assignment=self._message(assignment))

    def ResumeClock(
        self, request: dispatch_pb2.ResumeClockRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ResumeClockResponse:
        keeper = self._need_keeper()
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        with transaction(self._sessions) as session:
            assignment = keeper.resume(
                session, petition_id=petition_id, visibility=_caller_visibility()
            )
        return dispatch_pb2.ResumeClockResponse(assignment=self._message(assignment))

    def ListTriage(
        self, request: dispatch_pb2.ListTriageRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListTriageResponse:
        size = paging.page_size(request.page_size)
        after = None
        if request.page_token:
            cursor = paging.read_token(request.page_token, ["triage"])
            after = (cursor.deadline, cursor.petition_id)
        with transaction(self._sessions) as session:
            rows = repository.list_triage(
                session, visibility=_caller_visibility(), after=after, limit=size + 1
            )
            items = [convert.triage_item(row) for row in rows]
            last_key = (
                (repository.utc(rows[size - 1].sent_at), rows[size - 1].petition_id)
                if len(rows) > size
                else None
            )
        response = dispatch_pb2.ListTriageResponse(items=items[:size])
        if last_key is not None:
            response.next_page_token = paging.write_token(Cursor(*last_key), ["triage"])
        return response

    def SetTriageCategory(
        self, request: dispatch_pb2.SetTriageCategoryRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.SetTriageCategoryResponse:
        router = self._router
        if router is None:
            raise FailedPrecondition("triage is not served by this dispatch instance")
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        category = intake.code(request.category_code, field="category_code", required=True)
        with transaction(self._sessions) as session:
            row = repository.triage_row(
                session, petition_id=petition_id, visibility=_caller_visibility()
            )
            if row is None:
                raise NotFound(f"petition {petition_id} is not in triage")
            session.expunge(row)
        person = current_principal().subject
        # Grid-registry is asked before the transaction opens.
        placement = router.prepare_triage(row, category, person)
        with transaction(self._sessions) as session:
            outcome = router.route_triaged(session, petition_id=petition_id, placement=placement)
            assignment = repository.get(session, petition_id=petition_id)
        if outcome != "assigned" or assignment is None:
            raise FailedPrecondition(f"petition {petition_id} could not be assigned")
        return dispatch_pb2.SetTriageCategoryResponse(assignment=self._message(assignment))

    def AcceptAssignment(
        self, request: dispatch_pb2.AcceptAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.AcceptAssignmentResponse:
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        with transaction(self._sessions) as session:
            assignment = work.accept(
                session, petition_id=petition_id, caller=_caller(), at=self._clock.now()
            )
        return dispatch_pb2.AcceptAssignmentResponse(assignment=self._message(assignment))

    def TransferAssignment(
        self, request: dispatch_pb2.TransferAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.TransferAssignmentResponse:
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        to_assignee = intake.code(request.to_assignee_id, field="to_assignee_id")
        to_department = intake.code(request.to_department_code, field="to_department_code")
        reason = intake.text(request.reason, field="reason", required=True)
        caller = _caller()
        # Scope first (NOT_FOUND), then who and where, asked of grid-registry outside the lock.
        with transaction(self._sessions) as session:
            assignment = work.check_transfer(session, petition_id=petition_id, caller=caller)
        target = work.transfer_target(
            self._need_directory(),
            assignment,
            to_assignee_id=to_assignee,
            to_department_code=to_department,
        )
        with transaction(self._sessions) as session:
            moved = work.transfer(
                session,
                petition_id=petition_id,
                target=target,
                reason=reason,
                caller=caller,
                outbox=self._need_outbox(),
                at=self._clock.now(),
            )
        return dispatch_pb2.TransferAssignmentResponse(assignment=self._message(moved))

    def RefuseAssignment(
        self, request: dispatch_pb2.RefuseAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.RefuseAssignmentResponse:
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        reason = intake.text(request.reason, field="reason", required=True)
        caller = _caller()
        with transaction(self._sessions) as session:
            grid_code = work.grid_of(session, petition_id=petition_id, caller=caller)
        # The grid's chiefs (who arbitrate a repeated refusal), asked before the transaction.
        chiefs = [
            member.person_id
            for member in (self._directory.members(grid_code) if self._directory else [])
            if member.role.value == "grid_chief"
        ]
        with transaction(self._sessions) as session:
            assignment, arbitrator = work.refuse(
                session,
                petition_id=petition_id,
                reason=reason,
                caller=caller,
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
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        departments = intake.codes(list(request.department_codes), field="department_codes")
        reason = intake.text(request.reason, field="reason", required=True)
        known = self._directory.department_codes() if self._directory else None
        now = self._clock.now()
        with transaction(self._sessions) as session:
            view = work.blow_whistle(
                session,
                petition_id=petition_id,
                department_codes=departments,
                reason=reason,
                caller=_caller(),
                report_minutes=self._report_minutes,
                known_departments=known,
                outbox=self._need_outbox(),
                at=now,
            )
            shown = convert.whistle_message(view.whistle, view.reports, now)
        return dispatch_pb2.BlowWhistleResponse(whistle=shown)

    def ReportToWhistle(
        self, request: dispatch_pb2.ReportToWhistleRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ReportToWhistleResponse:
        whistle_id = intake.code(request.whistle_id, field="whistle_id", required=True)
        note = intake.text(request.note, field="note", multiline=True)
        now = self._clock.now()
        with transaction(self._sessions) as session:
            view, on_time = work.report_to_whistle(
                session,
                whistle_id=whistle_id,
                note=note,
                caller=_caller(),
                outbox=self._need_outbox(),
                at=now,
            )
            shown = convert.whistle_message(view.whistle, view.reports, now)
        return dispatch_pb2.ReportToWhistleResponse(whistle=shown, on_time=on_time)

    def WatchAssignments(
        self, request: dispatch_pb2.WatchAssignmentsRequest, context: grpc.ServicerContext
    ) -> Iterator[dispatch_pb2.WatchAssignmentsResponse]:
        changes = watch.AssignmentWatch(
            self._sessions, request, current_principal(), _caller_visibility()
        )
        for change_id, assignment, closed in changes.follow(context.is_active):
            yield dispatch_pb2.WatchAssignmentsResponse(
                change_id=change_id, assignment=self._message(assignment), closed=closed
            )

    def _need_outbox(self) -> Outbox:
        if self._outbox is None:
            raise FailedPrecondition("changes are not served by this dispatch instance")
        return self._outbox

    def _need_keeper(self) -> handlers.ClockKeeper:
        if self._keeper is None:
            raise FailedPrecondition("clocks are not served by this dispatch instance")
        return self._keeper

    def _need_directory(self) -> GridDirectory:
        if self._directory is None:
            raise FailedPrecondition("transfers are not served by this dispatch instance")
        return self._directory


def _caller() -> work.Caller:
    return work.Caller(current_principal(), _caller_visibility())


def _caller_visibility() -> Visibility:
    return visibility_for(current_principal())


def _next_token(found: list[Assignment], size: int, filters: list[str]) -> str:
    """A token for the page after `found[:size]`; empty when `found` holds no more."""
    if len(found) <= size:
        return ""
    last = found[size - 1]
    return paging.write_token(Cursor(last.deadline, last.petition_id), filters)
