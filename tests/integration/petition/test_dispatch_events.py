"""Dispatch's routing decisions applied through the consumer's handler functions, then seen
through the resident API."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.errors import InvalidArgument
from gridplus.petition.protos import timestamp
from tests.integration.petition.conftest import PATH, T0, Store, assigned, bearer, deliver

pytestmark = pytest.mark.integration


def new_petition(client: FlaskClient) -> str:
    body = {"title": "井盖丢失", "description": "", "lat": 39.9, "lon": 116.4}
    response = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    assert response.status_code == 201
    return str(response.get_json()["id"])


def routing_failed(petition_id: str) -> events_pb2.PetitionRoutingFailed:
    return events_pb2.PetitionRoutingFailed(
        petition_id=petition_id,
        reason_code="OUT_OF_JURISDICTION",
        reason="the point lies outside every grid of the city",
        failed_at=timestamp(T0 + timedelta(minutes=1)),
    )


def test_an_assignment_shows_grid_assignee_and_deadline(client: FlaskClient, store: Store) -> None:
    petition_id = new_petition(client)

    deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)

    shown = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert shown["status"] == "ASSIGNED"
    assert shown["grid"] == {"code": "G1-2-3", "level": 3, "path": PATH, "grid_set_version": 2}
    assert shown["assignee_id"] == "worker-7"
    assert shown["category"] == "road.manhole"
    assert shown["deadline"] == "2026-11-28T10:00:00+00:00"
    assert datetime.fromisoformat(shown["deadline"]).utcoffset() == timedelta(0)
    [change] = store.status_changes()
    assert (change.from_status, change.to_status) == (
        petition_pb2.PETITION_STATUS_SUBMITTED,
        petition_pb2.PETITION_STATUS_ASSIGNED,
    )
    assert (change.actor_id, change.actor_role) == ("dispatch", "service")
    history = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("resident-a")
    ).get_json()["entries"]
    assert [e["to_status"] for e in history] == ["SUBMITTED", "ASSIGNED"]
    assert history[1]["at"] == "2026-11-27T09:01:00+00:00"
    assert "worker-7 is on duty" in history[1]["note"]


def test_a_routing_failure_rejects_with_the_reason(client: FlaskClient, store: Store) -> None:
    petition_id = new_petition(client)

    deliver(store, routing_failed(petition_id), petition_id)

    shown = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert shown["status"] == "REJECTED"
    assert shown["reject_reason"] == "the point lies outside every grid of the city"
    assert shown["grid"] is None and shown["deadline"] is None
    [change] = store.status_changes()
    assert change.to_status == petition_pb2.PETITION_STATUS_REJECTED


def test_a_late_assignment_does_not_touch_a_petition_that_moved_on(
    client: FlaskClient, store: Store
) -> None:
    petition_id = new_petition(client)
    deliver(store, routing_failed(petition_id), petition_id)
    before = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()

    deliver(store, assigned(petition_id, T0 + timedelta(hours=4)), petition_id)
    deliver(store, routing_failed(petition_id), petition_id)

    after = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert after == before
    assert len(store.status_changes()) == 1  # only the rejection
    history = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("resident-a")
    ).get_json()["entries"]
    assert [e["to_status"] for e in history] == ["SUBMITTED", "REJECTED"]


def test_an_assignment_without_a_deadline_fails_so_it_can_be_dead_lettered(
    client: FlaskClient, store: Store
) -> None:
    petition_id = new_petition(client)
    payload = assigned(petition_id, T0)
    payload.ClearField("deadline")

    with pytest.raises(InvalidArgument, match="deadline"):
        deliver(store, payload, petition_id)

    shown = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert shown["status"] == "SUBMITTED"
