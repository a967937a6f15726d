"""A resident rates their resolved petition and reads its follow-up over HTTP; petition checks
who may, evaluation (its real servicer behind a kit gRPC server, on its own migrated store)
records the answer. Events between the two are carried by hand, as the consumers would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.evaluation.api.grpc import POLICY, SERVICE_NAME, EvaluationServicer
from gridplus.evaluation.domain.assessment import AssessmentWeights
from gridplus.evaluation.domain.follow_up import FollowUpPolicy
from gridplus.evaluation.handlers import Assessments, FollowUps, TimeBank
from gridplus.evaluation.messaging.consumers import HANDLERS
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from gridplus.petition.api.convert import timestamp
from gridplus.petition.api.http import create_app
from gridplus.petition.clients import FollowUpClient
from tests.integration.petition.conftest import (
    JWT,
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)
from tests.support.grpc import start_server
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

EVALUATION_MIGRATIONS = (
    Path(__file__).resolve().parents[3] / "services/gridplus/evaluation/storage/alembic"
)
WORKER = as_caller("worker-7", Role.GRID_WORKER, grids=("G1-2",))


@dataclass
class Loop:
    """The petition HTTP API wired to a live evaluation, and the events between them."""

    client: FlaskClient
    store: Store
    evaluation: SessionFactory
    carried: set[str] = field(default_factory=set)  # outbox event ids already delivered

    def to_evaluation(self) -> None:
        """Petition's new events into evaluation (its petition consumer)."""
        for event in self._new(self.store.sessions):
            with transaction(self.evaluation) as session:
                HANDLERS[event.type](session, event)  # type: ignore[operator]

    def to_petition(self) -> None:
        """Evaluation's new FollowUpCompleted into petition (its evaluation consumer)."""
        for event in self._new(self.evaluation):
            deliver(self.store, event.payload, event.key)

    def _new(self, sessions: SessionFactory) -> list[Event]:
        with transaction(sessions) as session:
            rows = session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).all()
        fresh = [row for row in rows if row.event_id not in self.carried]
        self.carried.update(row.event_id for row in fresh)
        return [_event(row) for row in fresh]


def _event(row: Any) -> Event:
    message_type = getattr(events_pb2, row.ce_type.rsplit(".", 1)[1])
    payload = message_type.FromString(row.payload)
    return Event.create(payload, key=row.key, source=row.ce_source, time=row.ce_time)


@pytest.fixture
def loop(store: Store, tmp_path: Path) -> Iterator[Loop]:
    # Evaluation's own database (SQLite: its store is tested on both in its own suite).
    with migrated_store(f"sqlite:///{tmp_path}/evaluation.db", EVALUATION_MIGRATIONS) as db:
        outbox = Outbox(events_topic("evaluation"), "/gridplus/evaluation", store.clock)
        servicer = EvaluationServicer(
            db.sessions,
            store.clock,
            follow_ups=FollowUps(outbox, store.clock, FollowUpPolicy(satisfied_min_rating=4)),
            assessments=Assessments(outbox, store.clock, AssessmentWeights()),
            time_bank=TimeBank(store.clock, points_per_hour=10),
        )

        def register(server: grpc.Server) -> None:
            evaluation_pb2_grpc.add_EvaluationServiceServicer_to_server(servicer, server)

        server = start_server(register, SERVICE_NAME, POLICY, jwt=JWT)
        channel = service_channel(f"127.0.0.1:{server.port}", ServiceToken(JWT, "petition"))
        app = create_app(
            sessions=store.sessions,
            deps=store.deps,
            jwt=JWT,
            wake=store.wake,
            follow_ups=FollowUpClient(channel),
        )
        try:
            yield Loop(app.test_client(), store, db.sessions)
        finally:
            channel.close()
            server.stop(0).wait(5)


def submit(loop: Loop, who: str = "resident-a") -> str:
    body = {"title": "井盖丢失", "description": "manhole open", "lat": 39.9, "lon": 116.4}
    response = loop.client.post("/api/v1/petitions", json=body, headers=bearer(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def resolved(loop: Loop, stub: Any, who: str = "resident-a") -> str:
    """A petition submitted by `who`, routed, verified and resolved; evaluation knows it all.
    Each step a minute apart: evaluation keeps the latest status by its time."""
    petition_id = submit(loop, who)
    event = assigned(petition_id, T0 + timedelta(hours=4))
    loop.store.clock.advance(timedelta(minutes=1))
    deliver(loop.store, event, petition_id)
    loop.store.clock.advance(timedelta(minutes=1))
    verify = S.VerifyPetitionRequest(
        request_id=f"v-{petition_id}", id=petition_id, deadline=timestamp(T0 + timedelta(days=3))
    )
    stub.VerifyPetition(verify, metadata=WORKER)
    loop.store.clock.advance(timedelta(minutes=1))
    resolve = S.ResolvePetitionRequest(request_id=f"r-{petition_id}", id=petition_id, note="done")
    stub.ResolvePetition(resolve, metadata=WORKER)
    loop.to_evaluation()
    return petition_id


def rate(
    loop: Loop, petition_id: str, body: Any, *, who: str = "resident-a", key: str | None = None
) -> TestResponse:
    headers = bearer(who)
    if key is not None:
        headers["Idempotency-Key"] = key
    return loop.client.post(f"/api/v1/petitions/{petition_id}/rating", json=body, headers=headers)


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    return body


def fields(response: TestResponse) -> list[str]:
    return [e["field"] for e in problem(response, 400)["errors"]]


def status_of(loop: Loop, petition_id: str) -> str:
    shown = loop.client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a"))
    return str(shown.get_json()["status"])


def test_a_satisfied_rating_closes_the_petition_and_a_retry_is_applied_once(
    loop: Loop, stub: Any
) -> None:
    petition_id = resolved(loop, stub)
    follow_up = f"/api/v1/petitions/{petition_id}/follow-up"
    before = loop.client.get(follow_up, headers=bearer("resident-a")).get_json()
    assert before["pending"] is True
    assert before["answers"] == []
    assert before["due_at"] is not None

    first = rate(loop, petition_id, {"rating": 5, "comment": "修好了，谢谢"}, key="rate-1")
    again = rate(loop, petition_id, {"rating": 5, "comment": "修好了，谢谢"}, key="rate-1")

    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.headers["Location"] == follow_up
    answer = first.get_json()
    assert answer["outcome"] == "SATISFIED"
    assert (answer["rating"], answer["comment"], answer["via"]) == (5, "修好了，谢谢", "rating")
    assert again.status_code == 201 and again.get_json() == answer
    loop.to_petition()
    assert status_of(loop, petition_id) == "CLOSED"
    after = loop.client.get(follow_up, headers=bearer("resident-a")).get_json()
    assert after == {
        "petition_id": petition_id,
        "pending": False,
        "due_at": None,
        "answers": [answer],
    }
    # Answered once: a new rating is refused, a reused key with another body too.
    problem(rate(loop, petition_id, {"rating": 1}, key="rate-2"), 409)
    reused = problem(rate(loop, petition_id, {"rating": 4}, key="rate-1"), 422)
    assert [e["field"] for e in reused["errors"]] == ["idempotency_key"]


def test_an_unsatisfied_rating_reopens_the_petition(loop: Loop, stub: Any) -> None:
    petition_id = resolved(loop, stub)

    response = rate(loop, petition_id, {"rating": 1, "comment": "still open"}, key="k")

    assert response.status_code == 201
    assert response.get_json()["outcome"] == "UNSATISFIED"
    loop.to_petition()
    assert status_of(loop, petition_id) == "REOPENED"


def test_bad_ratings_name_the_field_and_change_nothing(loop: Loop, stub: Any) -> None:
    petition_id = resolved(loop, stub)

    assert fields(rate(loop, petition_id, {"rating": 0})) == ["rating"]  # evaluation's check
    assert fields(rate(loop, petition_id, {"rating": 6, "comment": "x" * 501})) == [
        "rating",
        "comment",
    ]
    assert fields(rate(loop, petition_id, {"rating": "5"})) == ["rating"]  # petition's check
    assert fields(rate(loop, petition_id, {"rating": True})) == ["rating"]
    assert fields(rate(loop, petition_id, {"rating": 5, "comment": 7})) == ["comment"]
    assert fields(rate(loop, petition_id, [5])) == ["body"]

    follow_up = loop.client.get(
        f"/api/v1/petitions/{petition_id}/follow-up", headers=bearer("resident-a")
    ).get_json()
    assert follow_up["pending"] is True and follow_up["answers"] == []


def test_only_the_reporting_resident_rates_and_reads(loop: Loop, stub: Any) -> None:
    petition_id = resolved(loop, stub)
    follow_up = f"/api/v1/petitions/{petition_id}/follow-up"

    problem(rate(loop, petition_id, {"rating": 5}, who="resident-b"), 404)  # cannot be probed
    problem(loop.client.get(follow_up, headers=bearer("resident-b")), 404)
    staff = bearer("worker-7", Role.GRID_WORKER, grids=("G1-2",))
    headers = {**staff, "Idempotency-Key": "w"}
    url = f"/api/v1/petitions/{petition_id}/rating"
    problem(loop.client.post(url, json={"rating": 5}, headers=headers), 403)
    problem(loop.client.post(url, json={"rating": 5}), 401)
    problem(rate(loop, "no-such-petition", {"rating": 5}), 404)


def test_evaluations_refusals_become_problems(loop: Loop, stub: Any) -> None:
    # Not yet RESOLVED (as evaluation knows it): 409.
    petition_id = submit(loop)
    loop.to_evaluation()
    assert "RESOLVED" in problem(rate(loop, petition_id, {"rating": 5}), 409)["detail"]
    # Evaluation has not heard of the petition yet: rating 404, follow-up simply not started.
    unknown = submit(loop)
    problem(rate(loop, unknown, {"rating": 5}), 404)
    shown = loop.client.get(f"/api/v1/petitions/{unknown}/follow-up", headers=bearer("resident-a"))
    assert shown.status_code == 200
    assert shown.get_json() == {
        "petition_id": unknown,
        "pending": False,
        "due_at": None,
        "answers": [],
    }
    # Evaluation knows another reporter (say its facts came from an earlier import): 404, as an
    # unknown one, so a petition id cannot be probed (OWASP API1).
    other = submit(loop)
    with transaction(loop.evaluation) as session:
        stray = events_pb2.PetitionSubmitted(petition_id=other, reporter_id="resident-z")
        event = Event.create(stray, key=other, source="/gridplus/petition", time=T0)
        HANDLERS[event.type](session, event)  # type: ignore[operator]
    problem(rate(loop, other, {"rating": 5}), 404)


def test_evaluation_away_is_a_503(store: Store) -> None:
    nobody = service_channel("127.0.0.1:9", ServiceToken(JWT, "petition"))  # nothing listens
    app = create_app(
        sessions=store.sessions,
        deps=store.deps,
        jwt=JWT,
        follow_ups=FollowUpClient(nobody, timeout_seconds=2),
    )
    client = app.test_client()
    body = {"title": "井盖丢失", "description": "manhole open", "lat": 39.9, "lon": 116.4}
    created = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    url = f"/api/v1/petitions/{created.get_json()['id']}"
    try:
        rated = client.post(f"{url}/rating", json={"rating": 5}, headers=bearer("resident-a"))
        shown = client.get(f"{url}/follow-up", headers=bearer("resident-a"))
    finally:
        nobody.close()

    assert "evaluation did not answer" in problem(rated, 503)["detail"]
    problem(shown, 503)
