"""Time bank: hours recorded by a grid chief earn points; spending more than the balance is
refused and leaves it unchanged, also when spends race; every entry is audited."""

from __future__ import annotations

import threading

import grpc
import pytest

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.kit.auth import Role
from tests.integration.evaluation.conftest import START, Evaluation, Metadata, as_caller

pytestmark = pytest.mark.integration

CHIEF = as_caller("chief-1", Role.GRID_CHIEF)
VOLUNTEER = "v-1"


def earn(
    evaluation: Evaluation, minutes: int, who: Metadata = CHIEF, **extra: str
) -> pb.TimeBankEntry:
    return evaluation.api.RecordServiceHours(
        pb.RecordServiceHoursRequest(
            person_id=VOLUNTEER, minutes=minutes, reason="elder care", **extra
        ),  # type: ignore[arg-type]
        metadata=who,
    ).entry


def spend(evaluation: Evaluation, points: int, **extra: str) -> pb.TimeBankEntry:
    return evaluation.api.SpendPoints(
        pb.SpendPointsRequest(person_id=VOLUNTEER, points=points, reason="haircut", **extra),  # type: ignore[arg-type]
        metadata=as_caller(VOLUNTEER, Role.RESIDENT),
    ).entry


def account(evaluation: Evaluation) -> pb.GetTimeBankAccountResponse:
    return evaluation.api.GetTimeBankAccount(
        pb.GetTimeBankAccountRequest(person_id=VOLUNTEER), metadata=CHIEF
    )


def test_overspending_is_refused_and_the_balance_is_unchanged(evaluation: Evaluation) -> None:
    credited = earn(evaluation, 150)  # 2.5 h at 10 points an hour
    assert (credited.points, credited.balance_after, credited.minutes) == (25, 25, 150)
    assert (credited.actor_id, credited.actor_role, credited.reason) == (
        "chief-1",
        "grid_chief",
        "elder care",
    )
    assert credited.recorded_at.ToDatetime(tzinfo=START.tzinfo) == START

    with pytest.raises(grpc.RpcError) as refused:
        spend(evaluation, 26)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "25" in (refused.value.details() or "")
    assert account(evaluation).balance == 25
    assert len(account(evaluation).entries) == 1  # the refusal wrote nothing

    spent = spend(evaluation, 25)
    assert (spent.points, spent.balance_after) == (-25, 0)
    after = account(evaluation)
    assert after.balance == 0
    assert [(e.points, e.balance_after, e.actor_id) for e in after.entries] == [
        (-25, 0, VOLUNTEER),
        (25, 25, "chief-1"),
    ]


def test_only_chiefs_record_hours_and_only_the_volunteer_spends(evaluation: Evaluation) -> None:
    with pytest.raises(grpc.RpcError) as worker:
        earn(evaluation, 60, as_caller("w-1", Role.GRID_WORKER))
    assert worker.value.code() == grpc.StatusCode.PERMISSION_DENIED
    earn(evaluation, 60)
    with pytest.raises(grpc.RpcError) as other:
        evaluation.api.SpendPoints(
            pb.SpendPointsRequest(person_id=VOLUNTEER, points=1, reason="x"),
            metadata=as_caller("someone-else", Role.RESIDENT),
        )
    assert other.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as invalid:
        earn(evaluation, 0)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert account(evaluation).balance == 10


def test_a_retried_request_is_applied_once(evaluation: Evaluation) -> None:
    first = earn(evaluation, 60, request_id="hours-1")
    assert earn(evaluation, 60, request_id="hours-1") == first
    assert account(evaluation).balance == 10


def test_racing_spends_never_take_the_balance_below_zero(evaluation: Evaluation) -> None:
    earn(evaluation, 60 * 10)  # 100 points
    spenders, attempts = 6, 5  # 30 spends of 7 points: at most 14 can pass
    outcomes: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(spenders)
    lock = threading.Lock()

    def spender() -> None:
        try:
            start.wait()
            for _ in range(attempts):
                try:
                    spend(evaluation, 7)
                    result = "ok"
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
                    result = "refused"
                with lock:
                    outcomes.append(result)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=spender) for _ in range(spenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert outcomes.count("ok") == 14
    final = account(evaluation)
    assert final.balance == 100 - 14 * 7 == 2
    # The ledger adds up: every balance_after is the running sum, never negative.
    running = 0
    for entry in reversed(
        evaluation.api.GetTimeBankAccount(
            pb.GetTimeBankAccountRequest(person_id=VOLUNTEER, entry_limit=500), metadata=CHIEF
        ).entries
    ):
        running += entry.points
        assert entry.balance_after == running >= 0
