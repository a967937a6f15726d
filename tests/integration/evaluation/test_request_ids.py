"""Every mutating RPC is applied once per request_id (kit run_once): the same id again returns
the first answer and changes nothing; the same id with another body is refused with
INVALID_ARGUMENT naming request_id, and changes nothing either."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import func, select

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.evaluation.storage.models import AssessmentRow, FollowUpRow, TimeBankEntryRow
from gridplus.kit.db import transaction
from gridplus.kit.roles import Role
from gridplus.kit.tables import outbox_messages
from tests.integration.evaluation.conftest import Evaluation, Metadata, as_caller
from tests.integration.evaluation.test_follow_up import PATH, WORKER, at, resolve, route

pytestmark = pytest.mark.integration

CHIEF = as_caller("chief-1", Role.GRID_CHIEF, (PATH[0],))
INSPECTOR = as_caller("insp-1", Role.INSPECTOR)
VOLUNTEER = "v-1"


def count(evaluation: Evaluation, table: Any, *where: Any) -> int:
    with transaction(evaluation.sessions) as session:
        return int(
            session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


def events(evaluation: Evaluation, name: str) -> int:
    return count(
        evaluation, outbox_messages, outbox_messages.c.ce_type == f"gridplus.events.v1.{name}"
    )


def refused_naming_request_id(call: Callable[[], object]) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        call()
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
    assert status is not None
    details = error_details_pb2.BadRequest()
    status.details[0].Unpack(details)
    assert [v.field for v in details.field_violations] == ["request_id"]


def twice_then_another_body(
    call: Callable[..., Any], first: Message, other: Message, who: Metadata
) -> Any:
    """`first` twice (one effect, one answer), then `other` under the same request_id."""
    answer = call(first, metadata=who)
    assert call(first, metadata=who) == answer
    refused_naming_request_id(lambda: call(other, metadata=who))
    return answer


def resolved(evaluation: Evaluation, petition_id: str, reporter: str) -> None:
    route(evaluation, petition_id, reporter)
    resolve(evaluation, petition_id, 4)
    evaluation.clock.set(at(5))


def test_rate_follow_up(evaluation: Evaluation) -> None:
    resolved(evaluation, "p-1", "r-1")
    answer = twice_then_another_body(
        evaluation.api.RateFollowUp,
        pb.RateFollowUpRequest(request_id="r", petition_id="p-1", rating=5, comment="fixed"),
        pb.RateFollowUpRequest(request_id="r", petition_id="p-1", rating=1, comment="fixed"),
        as_caller("r-1", Role.RESIDENT),
    ).answer
    assert answer.outcome == pb.FOLLOW_UP_OUTCOME_SATISFIED
    assert events(evaluation, "FollowUpCompleted") == count(evaluation, FollowUpRow) == 1


def test_record_follow_up_visit(evaluation: Evaluation) -> None:
    resolved(evaluation, "p-1", "r-1")
    answer = twice_then_another_body(
        evaluation.api.RecordFollowUpVisit,
        pb.RecordFollowUpVisitRequest(request_id="v", petition_id="p-1", rating=2),
        pb.RecordFollowUpVisitRequest(request_id="v", petition_id="p-1", rating=4),
        as_caller(WORKER, Role.GRID_WORKER),
    ).answer
    assert (answer.outcome, answer.via) == (pb.FOLLOW_UP_OUTCOME_UNSATISFIED, "visit")
    assert events(evaluation, "FollowUpCompleted") == count(evaluation, FollowUpRow) == 1


def test_record_assessment(evaluation: Evaluation) -> None:
    def request(listen: float) -> pb.RecordAssessmentRequest:
        return pb.RecordAssessmentRequest(
            request_id="a",
            worker_id=WORKER,
            grid_code=PATH[-1],
            listen_score=listen,
            evaluate_score=80,
            look_score=70,
            discuss_score=60,
        )

    recorded = twice_then_another_body(
        evaluation.api.RecordAssessment, request(90), request(10), INSPECTOR
    )
    assert recorded.score == 75.0
    assert events(evaluation, "AssessmentRecorded") == count(evaluation, AssessmentRow) == 1


def test_record_service_hours(evaluation: Evaluation) -> None:
    entry = twice_then_another_body(
        evaluation.api.RecordServiceHours,
        pb.RecordServiceHoursRequest(
            request_id="h", person_id=VOLUNTEER, minutes=60, reason="care"
        ),
        pb.RecordServiceHoursRequest(
            request_id="h", person_id=VOLUNTEER, minutes=90, reason="care"
        ),
        CHIEF,
    ).entry
    assert (entry.points, entry.balance_after) == (10, 10)
    assert count(evaluation, TimeBankEntryRow) == 1


def test_spend_points(evaluation: Evaluation) -> None:
    evaluation.api.RecordServiceHours(
        pb.RecordServiceHoursRequest(person_id=VOLUNTEER, minutes=120, reason="care"),
        metadata=CHIEF,
    )
    entry = twice_then_another_body(
        evaluation.api.SpendPoints,
        pb.SpendPointsRequest(request_id="s", person_id=VOLUNTEER, points=5, reason="haircut"),
        pb.SpendPointsRequest(request_id="s", person_id=VOLUNTEER, points=6, reason="haircut"),
        as_caller(VOLUNTEER, Role.RESIDENT),
    ).entry
    assert (entry.points, entry.balance_after) == (-5, 15)
    assert count(evaluation, TimeBankEntryRow) == 2  # the earning and one spend


def test_one_id_serves_two_callers_apart(evaluation: Evaluation) -> None:
    """Keys are scoped per caller: another chief's request with the same id is its own."""
    for chief in ("chief-1", "chief-2"):
        evaluation.api.RecordServiceHours(
            pb.RecordServiceHoursRequest(
                request_id="same", person_id=VOLUNTEER, minutes=60, reason="care"
            ),
            metadata=as_caller(chief, Role.GRID_CHIEF),
        )
    assert count(evaluation, TimeBankEntryRow) == 2


def test_racing_retries_of_one_request_apply_it_once(evaluation: Evaluation) -> None:
    """Retries that race (the client gave up waiting and sent again) get one answer and make
    one entry; on PostgreSQL the loser's unique-key conflict is retried by run_once."""
    request = pb.RecordServiceHoursRequest(
        request_id="raced", person_id=VOLUNTEER, minutes=60, reason="care"
    )
    racers = 4
    start = threading.Barrier(racers)
    answers: list[pb.TimeBankEntry] = []
    failures: list[BaseException] = []

    def retry() -> None:
        try:
            start.wait()
            answers.append(evaluation.api.RecordServiceHours(request, metadata=CHIEF).entry)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=retry) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(answers) == racers and all(a == answers[0] for a in answers)
    assert count(evaluation, TimeBankEntryRow) == 1
