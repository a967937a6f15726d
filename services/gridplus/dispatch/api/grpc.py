"""DispatchService: proto in, use case, proto out.

Every call runs within the caller's scope (`domain/access.py`): grid roles their grid subtrees,
department roles their own department, admins, inspectors and services everything. What lies
outside it answers NOT_FOUND, on reads and writes alike. Every mutating call takes a
`request_id` and is applied once (`api/once.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import grpc
from google.protobuf.message import Message

from gridplus.api.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from gridplus.dispatch.api import convert, intake
from gridplus.dispatch.api.once import Apply, Once
from gridplus.dispatch.api.policy import POLICY as POLICY
from gridplus.dispatch.api.policy import SERVICE_NAME as SERVICE_NAME
from gridplus.dispatch.api.reads import Reads, caller_visibility
from gridplus.dispatch.handlers import assignments, whistles
from gridplus.dispatch.handlers.assignments import Caller
from gridplus.dispatch.handlers.clocks import ClockKeeper
from gridplus.dispatch.handlers.routing import PetitionRouter
from gridplus.dispatch.ports import GridDirectory
from gridplus.kit.auth import current_principal
from gridplus.kit.clock import Clock, SystemClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FailedPrecondition
from gridplus.kit.outbox import Outbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

M = TypeVar("M", bound=Message)


class DispatchServicer(Reads, dispatch_pb2_grpc.DispatchServiceServicer):
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Clock | None = None,
        keeper: ClockKeeper | None = None,
        router: PetitionRouter | None = None,
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
        self._once = Once(sessions, self._clock)

    # -- clocks ----------------------------------------------------------------------------

    def PauseClock(
        self, request: dispatch_pb2.PauseClockRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.PauseClockResponse:
        keeper = self._need_keeper()
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        why = intake.text(request.reason, field="reason")
        visibility = caller_visibility()

        def prepare() -> Apply:
            return lambda session: dispatch_pb2.PauseClockResponse(
                assignment=self._message(
                    keeper.pause(session, petition_id=petition_id, visibility=visibility, why=why)
                )
            )

        return self._run("PauseClock", request, dispatch_pb2.PauseClockResponse, prepare)

    def ResumeClock(
        self, request: dispatch_pb2.ResumeClockRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ResumeClockResponse:
        keeper = self._need_keeper()
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        visibility = caller_visibility()

        def prepare() -> Apply:
            return lambda session: dispatch_pb2.ResumeClockResponse(
                assignment=self._message(
                    keeper.resume(session, petition_id=petition_id, visibility=visibility)
                )
            )

        return self._run("ResumeClock", request, dispatch_pb2.ResumeClockResponse, prepare)

    # -- triage ----------------------------------------------------------------------------

    def SetTriageCategory(
        self, request: dispatch_pb2.SetTriageCategoryRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.SetTriageCategoryResponse:
        router = self._router
        if router is None:
            raise FailedPrecondition("triage is not served by this dispatch instance")
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        category = intake.code(request.category_code, field="category_code", required=True)
        visibility = caller_visibility()
        person = current_principal().subject

        def prepare() -> Apply:
            with transaction(self._sessions) as session:
                item = router.waiting(session, petition_id=petition_id, visibility=visibility)
            # Grid-registry is asked before the transaction opens.
            placement = router.prepare_triage(item, category, person)

            def apply(session: Session) -> Message | FailedPrecondition:
                assignment = router.route_triaged(
                    session, petition_id=petition_id, placement=placement
                )
                if assignment is None:
                    return FailedPrecondition(f"petition {petition_id} could not be assigned")
                return dispatch_pb2.SetTriageCategoryResponse(assignment=self._message(assignment))

            return apply

        return self._run(
            "SetTriageCategory", request, dispatch_pb2.SetTriageCategoryResponse, prepare
        )

    # -- work ------------------------------------------------------------------------------

    def AcceptAssignment(
        self, request: dispatch_pb2.AcceptAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.AcceptAssignmentResponse:
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        caller = _caller()

        def prepare() -> Apply:
            return lambda session: dispatch_pb2.AcceptAssignmentResponse(
                assignment=self._message(
                    assignments.accept(
                        session, petition_id=petition_id, caller=caller, at=self._clock.now()
                    )
                )
            )

        return self._run(
            "AcceptAssignment", request, dispatch_pb2.AcceptAssignmentResponse, prepare
        )

    def TransferAssignment(
        self, request: dispatch_pb2.TransferAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.TransferAssignmentResponse:
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        to_assignee = intake.code(request.to_assignee_id, field="to_assignee_id")
        to_department = intake.code(request.to_department_code, field="to_department_code")
        reason = intake.text(request.reason, field="reason", required=True)
        caller = _caller()

        def prepare() -> Apply:
            # Scope first (NOT_FOUND), then who and where, asked of grid-registry outside the lock.
            with transaction(self._sessions) as session:
                assignment = assignments.check_transfer(
                    session, petition_id=petition_id, caller=caller
                )
            target = assignments.transfer_target(
                self._need_directory(),
                assignment,
                to_assignee_id=to_assignee,
                to_department_code=to_department,
            )
            outbox = self._need_outbox()
            return lambda session: dispatch_pb2.TransferAssignmentResponse(
                assignment=self._message(
                    assignments.transfer(
                        session,
                        petition_id=petition_id,
                        target=target,
                        reason=reason,
                        caller=caller,
                        outbox=outbox,
                        at=self._clock.now(),
                    )
                )
            )

        return self._run(
            "TransferAssignment", request, dispatch_pb2.TransferAssignmentResponse, prepare
        )

    def RefuseAssignment(
        self, request: dispatch_pb2.RefuseAssignmentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.RefuseAssignmentResponse:
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        reason = intake.text(request.reason, field="reason", required=True)
        caller = _caller()

        def prepare() -> Apply:
            with transaction(self._sessions) as session:
                grid_code = assignments.grid_of(session, petition_id=petition_id, caller=caller)
            # The grid's chiefs (who arbitrate a repeated refusal), asked before the transaction.
            chiefs = [
                member.person_id
                for member in (self._directory.members(grid_code) if self._directory else [])
                if member.role.value == "grid_chief"
            ]
            outbox = self._need_outbox()

            def apply(session: Session) -> Message:
                assignment, arbitrator = assignments.refuse(
                    session,
                    petition_id=petition_id,
                    reason=reason,
                    caller=caller,
                    grid_chiefs=chiefs,
                    outbox=outbox,
                    at=self._clock.now(),
                )
                return dispatch_pb2.RefuseAssignmentResponse(
                    assignment=self._message(assignment), arbitrator_id=arbitrator
                )

            return apply

        return self._run(
            "RefuseAssignment", request, dispatch_pb2.RefuseAssignmentResponse, prepare
        )

    def BlowWhistle(
        self, request: dispatch_pb2.BlowWhistleRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.BlowWhistleResponse:
        petition_id = intake.code(request.petition_id, field="petition_id", required=True)
        departments = intake.codes(list(request.department_codes), field="department_codes")
        reason = intake.text(request.reason, field="reason", required=True)
        caller = _caller()

        def prepare() -> Apply:
            known = self._directory.department_codes() if self._directory else None
            outbox = self._need_outbox()

            def apply(session: Session) -> Message:
                now = self._clock.now()
                whistle = whistles.blow_whistle(
                    session,
                    petition_id=petition_id,
                    department_codes=departments,
                    reason=reason,
                    caller=caller,
                    report_minutes=self._report_minutes,
                    known_departments=known,
                    outbox=outbox,
                    at=now,
                )
                return dispatch_pb2.BlowWhistleResponse(
                    whistle=convert.whistle_message(whistle, now)
                )

            return apply

        return self._run("BlowWhistle", request, dispatch_pb2.BlowWhistleResponse, prepare)

    def ReportToWhistle(
        self, request: dispatch_pb2.ReportToWhistleRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ReportToWhistleResponse:
        whistle_id = intake.code(request.whistle_id, field="whistle_id", required=True)
        note = intake.text(request.note, field="note", multiline=True)
        caller = _caller()

        def prepare() -> Apply:
            outbox = self._need_outbox()

            def apply(session: Session) -> Message:
                now = self._clock.now()
                whistle, on_time = whistles.report_to_whistle(
                    session, whistle_id=whistle_id, note=note, caller=caller, outbox=outbox, at=now
                )
                return dispatch_pb2.ReportToWhistleResponse(
                    whistle=convert.whistle_message(whistle, now), on_time=on_time
                )

            return apply

        return self._run("ReportToWhistle", request, dispatch_pb2.ReportToWhistleResponse, prepare)

    def ListWhistles(
        self, request: dispatch_pb2.ListWhistlesRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListWhistlesResponse:
        petition_id = intake.code(request.petition_id, field="petition_id")
        now = self._clock.now()
        with transaction(self._sessions) as session:
            found = whistles.list_whistles(
                session,
                visibility=caller_visibility(),
                petition_id=petition_id,
                open_only=request.open_only,
                page_size=request.page_size,
            )
        return dispatch_pb2.ListWhistlesResponse(
            whistles=[convert.whistle_message(whistle, now) for whistle in found]
        )

    # -- plumbing --------------------------------------------------------------------------

    def _run(
        self, method: str, request: Message, response_type: type[M], prepare: Callable[[], Apply]
    ) -> M:
        return self._once.run(
            method, request, response_type, subject=current_principal().subject, prepare=prepare
        )

    def _need_outbox(self) -> Outbox:
        if self._outbox is None:
            raise FailedPrecondition("changes are not served by this dispatch instance")
        return self._outbox

    def _need_keeper(self) -> ClockKeeper:
        if self._keeper is None:
            raise FailedPrecondition("clocks are not served by this dispatch instance")
        return self._keeper

    def _need_directory(self) -> GridDirectory:
        if self._directory is None:
            raise FailedPrecondition("transfers are not served by this dispatch instance")
        return self._directory


def _caller() -> Caller:
    return Caller(current_principal(), caller_visibility())
