"""Petition and dispatch events applied by evaluation's consumer handlers show up in
GetScorecard over a real in-process gRPC server, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.common.v1 import common_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation.messaging.consumers import HANDLERS
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event
from tests.conftest import JWT_SECRET
from tests.integration.evaluation.conftest import Evaluation

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/evaluation/storage/alembic"
JWT = JwtSettings(JWT_SECRET, "gridplus")
DAY = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
PATH_7 = ["G-01", "G-01-02", "G-01-02-07"]
PATH_31 = ["G-01", "G-01-03", "G-01-03-31"]

Stub = evaluation_pb2_grpc.EvaluationServiceStub


def stamp(at: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(at)
    return result


def apply(
    sessions: SessionFactory, payload: events_pb2.PetitionSubmitted | events_pb2.PetitionAssigned
) -> None:
    event = Event.create(payload, key=payload.petition_id, source="/gridplus/test", time=DAY)
    with transaction(sessions) as session:
        HANDLERS[event.type](session, event)  # type: ignore[operator]


def submitted(petition_id: str, at: datetime = DAY) -> events_pb2.PetitionSubmitted:
    return events_pb2.PetitionSubmitted(petition_id=petition_id, submitted_at=stamp(at))


def assigned(petition_id: str, worker: str, path: list[str]) -> events_pb2.PetitionAssigned:
    return events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code=path[-1], level=3, path=path),
        assignee_id=worker,
        assigned_at=stamp(DAY + timedelta(hours=1)),
        deadline=stamp(DAY + timedelta(hours=5)),
    )


def scorecard(api: Stub, kind: int, subject_id: str = "", **period: Timestamp) -> pb.Scorecard:
    token = mint_token(JWT, subject="insp-1", role=Role.INSPECTOR)
    response = api.GetScorecard(
        pb.GetScorecardRequest(kind=kind, subject_id=subject_id, **period),  # type: ignore[arg-type]
        metadata=[("authorization", f"Bearer {token}")],
    )
    return response.scorecard


def counts(card: pb.Scorecard) -> tuple[int, int]:
    return card.submitted_count, card.assigned_count


def test_counts_roll_up_from_worker_to_grids_to_the_city(evaluation: Evaluation) -> None:
    for n in range(3):
        apply(evaluation.sessions, submitted(f"p-{n}"))
    apply(evaluation.sessions, assigned("p-0", "worker-7", PATH_7))
    apply(evaluation.sessions, assigned("p-1", "worker-7", PATH_7))
    apply(evaluation.sessions, assigned("p-2", "worker-8", PATH_31))
    api = evaluation.api

    # Once routed, a petition counts for its worker and grids from its submission on.
    assert counts(scorecard(api, pb.SUBJECT_KIND_WORKER, "worker-7")) == (2, 2)
    assert counts(scorecard(api, pb.SUBJECT_KIND_WORKER, "worker-8")) == (1, 1)
    expected_grids = {
        "G-01-02-07": 2,  # level 3
        "G-01-02": 2,  # level 2
        "G-01-03-31": 1,
        "G-01-03": 1,
        "G-01": 3,  # level 1: both level-2 grids
    }
    for code, assigned_count in expected_grids.items():
        assert counts(scorecard(api, pb.SUBJECT_KIND_GRID, code)) == (assigned_count,) * 2, code
    city = scorecard(api, pb.SUBJECT_KIND_CITY)
    assert counts(city) == (3, 3)
    assert (city.resolved_count, city.closed_count, city.overdue_count) == (0, 0, 0)
    assert counts(scorecard(api, pb.SUBJECT_KIND_WORKER, "worker-unknown")) == (0, 0)


def test_the_period_selects_days(evaluation: Evaluation) -> None:
    apply(evaluation.sessions, submitted("p-old", DAY - timedelta(days=3)))
    apply(evaluation.sessions, submitted("p-new", DAY))
    api = evaluation.api
    assert counts(scorecard(api, pb.SUBJECT_KIND_CITY)) == (2, 0)
    recent = scorecard(api, pb.SUBJECT_KIND_CITY, start_time=stamp(DAY - timedelta(days=1)))
    assert counts(recent) == (1, 0)
    before = scorecard(
        api,
        pb.SUBJECT_KIND_CITY,
        start_time=stamp(DAY - timedelta(days=7)),
        end_time=stamp(DAY - timedelta(days=1)),
    )
    assert counts(before) == (1, 0)
    assert before.start_time.ToDatetime(tzinfo=UTC) == datetime(2025, 2, 25, tzinfo=UTC)


def test_residents_may_not_read_scorecards_and_bad_requests_are_refused(
    evaluation: Evaluation,
) -> None:
    resident = mint_token(JWT, subject="r-1", role=Role.RESIDENT)
    with pytest.raises(grpc.RpcError) as denied:
        evaluation.api.GetScorecard(
            pb.GetScorecardRequest(kind=pb.SUBJECT_KIND_CITY),
            metadata=[("authorization", f"Bearer {resident}")],
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    for request in (
        pb.GetScorecardRequest(),
        pb.GetScorecardRequest(kind=pb.SUBJECT_KIND_GRID),
    ):
        with pytest.raises(grpc.RpcError) as invalid:
            scorecard(evaluation.api, request.kind, request.subject_id)
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_consumer_replicas_counting_at_once_lose_no_count(evaluation: Evaluation) -> None:
    # Several pods of the same consumer group apply different petitions concurrently; all of
    # them move the same city and level-1 counters.
    replicas, per_replica = 4, 15
    failures: list[BaseException] = []
    start = threading.Barrier(replicas)

    def replica(index: int) -> None:
        try:
            start.wait()
            for n in range(per_replica):
                event = assigned(f"p-{index}-{n}", f"worker-{index}", PATH_7)
                apply(evaluation.sessions, event)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert counts(scorecard(evaluation.api, pb.SUBJECT_KIND_CITY)) == (0, replicas * per_replica)
    assert counts(scorecard(evaluation.api, pb.SUBJECT_KIND_GRID, "G-01")) == (
        0,
        replicas * per_replica,
    )
