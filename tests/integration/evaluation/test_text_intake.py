"""Issue 18, hole 5 in evaluation: comments, notes and time-bank reasons taken over gRPC refuse
control and bidi characters with a field error and change nothing; a comment keeps its lines
(CRLF folded to LF). Real in-process gRPC, SQLite and PostgreSQL."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.kit.auth import Role
from tests.integration.evaluation.conftest import Evaluation, as_caller
from tests.integration.evaluation.test_follow_up import WORKER, at, published, rate, resolve, route

pytestmark = pytest.mark.integration

RLO = "\u202e"
INSPECTOR = as_caller("insp-1", Role.INSPECTOR)
CHIEF = as_caller("chief-1", Role.GRID_CHIEF)


def refused_fields(call: object, *args: object, **kwargs: object) -> list[str]:
    with pytest.raises(grpc.RpcError) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    assert all("control or bidi" in v.description for v in bad.field_violations)
    return [v.field for v in bad.field_violations]


def test_a_spoofing_comment_is_refused_and_the_follow_up_stays_pending(
    evaluation: Evaluation,
) -> None:
    route(evaluation, "p-1", "r-1")
    route(evaluation, "p-2", "r-2")
    resolve(evaluation, "p-1", 4)
    resolve(evaluation, "p-2", 4)
    evaluation.clock.set(at(5))
    assert refused_fields(rate, evaluation, "p-1", "r-1", 1, comment=f"great{RLO}lufwa") == [
        "comment"
    ]
    visit = pb.RecordFollowUpVisitRequest(petition_id="p-2", rating=5, comment="ok\x1b[2J")
    assert refused_fields(
        evaluation.api.RecordFollowUpVisit, visit, metadata=as_caller(WORKER, Role.GRID_WORKER)
    ) == ["comment"]
    assert published(evaluation) == []  # nothing answered
    answer = rate(evaluation, "p-1", "r-1", 5, comment="fixed fast\r\nthank you")
    assert answer.comment == "fixed fast\nthank you"


def test_assessment_notes_and_ids_are_checked(evaluation: Evaluation) -> None:
    def assess(**fields: str) -> pb.RecordAssessmentResponse:
        given = {"worker_id": "w-good", "grid_code": "G-01-01-01", "note": "暗访", **fields}
        request = pb.RecordAssessmentRequest(listen_score=90, **given)  # type: ignore[arg-type]
        response: pb.RecordAssessmentResponse = evaluation.api.RecordAssessment(
            request, metadata=INSPECTOR
        )
        return response

    assert refused_fields(assess, note="seen at\u2066 noon") == ["note"]
    assert refused_fields(assess, worker_id=f"w-good{RLO}") == ["worker_id"]
    assert assess(note="line one\nline two").assessment_id


def test_time_bank_reasons_are_one_clean_line(evaluation: Evaluation) -> None:
    def earn(reason: str, person_id: str = "v-1") -> pb.RecordServiceHoursResponse:
        request = pb.RecordServiceHoursRequest(person_id=person_id, minutes=60, reason=reason)
        response: pb.RecordServiceHoursResponse = evaluation.api.RecordServiceHours(
            request, metadata=CHIEF
        )
        return response

    assert refused_fields(earn, "elder care\nfake: approved by admin") == ["reason"]
    assert refused_fields(earn, "elder care", person_id=f"v-1{RLO}") == ["person_id"]
    spend = pb.SpendPointsRequest(person_id="v-1", points=1, reason=f"haircut{RLO}")
    assert refused_fields(
        evaluation.api.SpendPoints, spend, metadata=as_caller("v-1", Role.RESIDENT)
    ) == ["reason"]
    account = evaluation.api.GetTimeBankAccount(
        pb.GetTimeBankAccountRequest(person_id="v-1"), metadata=CHIEF
    )
    assert (account.balance, list(account.entries)) == (0, [])
    assert earn("elder care").entry.reason == "elder care"
