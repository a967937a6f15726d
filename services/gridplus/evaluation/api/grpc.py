"""EvaluationService: proto in, use case, proto out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import grpc

from gridplus.api.evaluation.v1 import evaluation_pb2, evaluation_pb2_grpc
from gridplus.evaluation import handlers
from gridplus.evaluation.domain.scorecard import CITY, Measure, Subject, SubjectKind
from gridplus.kit.auth import STAFF_ROLES
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.interceptors import AuthPolicy, service_policy

SERVICE_NAME = evaluation_pb2.DESCRIPTOR.services_by_name["EvaluationService"].full_name

POLICY: AuthPolicy = service_policy(SERVICE_NAME, {"GetScorecard": STAFF_ROLES})

_KINDS = {
    evaluation_pb2.SUBJECT_KIND_WORKER: SubjectKind.WORKER,
    evaluation_pb2.SUBJECT_KIND_GRID: SubjectKind.GRID,
    evaluation_pb2.SUBJECT_KIND_DEPARTMENT: SubjectKind.DEPARTMENT,
    evaluation_pb2.SUBJECT_KIND_CITY: SubjectKind.CITY,
}


class EvaluationServicer(evaluation_pb2_grpc.EvaluationServiceServicer):
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def GetScorecard(
        self, request: evaluation_pb2.GetScorecardRequest, context: grpc.ServicerContext
    ) -> evaluation_pb2.GetScorecardResponse:
        subject, start, end = _scorecard_query(request, today=self._clock.now().date())
        with transaction(self._sessions) as session:
            card = handlers.get_scorecard(session, subject=subject, start=start, end=end)
        response = evaluation_pb2.GetScorecardResponse()
        out = response.scorecard
        out.kind = request.kind
        out.subject_id = subject.subject_id
        if start != date.min:
            out.start_time.FromDatetime(datetime.combine(start, datetime.min.time(), UTC))
        out.end_time.FromDatetime(datetime.combine(end, datetime.min.time(), UTC))
        out.submitted_count = card.counts[Measure.SUBMITTED]
        out.assigned_count = card.counts[Measure.ASSIGNED]
        out.resolved_count = card.counts[Measure.RESOLVED]
        out.closed_count = card.counts[Measure.CLOSED]
        out.overdue_count = card.counts[Measure.OVERDUE]
        return response


def _scorecard_query(
    request: evaluation_pb2.GetScorecardRequest, *, today: date
) -> tuple[Subject, date, date]:
    kind = _KINDS.get(request.kind)
    if kind is None:
        raise InvalidArgument.single("kind", "choose WORKER, GRID, DEPARTMENT or CITY")
    subject_id = CITY if kind is SubjectKind.CITY else request.subject_id
    if not subject_id:
        raise InvalidArgument.single("subject_id", "required for this kind")
    start = request.start_time.ToDatetime().date() if request.HasField("start_time") else date.min
    end = (
        request.end_time.ToDatetime().date()
        if request.HasField("end_time")
        else today + timedelta(days=1)
    )
    if end <= start:
        raise InvalidArgument.single("end_time", "must be after start_time")
    return Subject(kind, subject_id), start, end
