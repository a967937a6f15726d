"""Dispatch's routing decisions applied through the consumer's handler functions, then seen
through the resident API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.kit.errors import InvalidArgument
from gridplus.petition.api.convert import timestamp
from tests.integration.petition.conftest import (
    PATH,
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)

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
    assert "assignee_id" not in shown  # a resident never reads a staff id (issue 15)
    handler = bearer("worker-7", Role.GRID_WORKER, grids=("G1-2",))
    staff = client.get(f"/api/v1/petitions/{petition_id}", headers=handler).get_json()
    assert (staff["assignee_id"], staff["grid"]["code"]) == ("worker-7", "G1-2-3")
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
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("admin-1", Role.ADMIN)
    ).get_json()["entries"]
    assert [e["to_status"] for e in history] == ["SUBMITTED", "ASSIGNED"]
    assert history[1]["at"] == "2026-11-27T09:01:00+00:00"
    assert "worker-7 is on duty" in history[1]["note"]
    # The reporter sees that it was assigned, not dispatch's reasons or whom (resident_view.py).
    mine = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("resident-a")
    ).get_json()["entries"]
    assert mine[1] == history[1] | {"actor_id": "", "note": ""}
    assert mine[0]["actor_id"] == "resident-a"  # their own entry


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


WORKER = as_caller("worker-9", Role.GRID_WORKER, grids=("G1-2",))


def deadline_changed(
    petition_id: str,
    *,
    deadline: datetime,
    yellow_at: datetime,
    changed_at: datetime,
    paused: bool = False,
    reason: str = "petition verified: handle step deadline",
) -> events_pb2.PetitionDeadlineChanged:
    return events_pb2.PetitionDeadlineChanged(
        petition_id=petition_id,
        step=dispatch_pb2.ASSIGNMENT_STEP_HANDLE,
        deadline=timestamp(deadline),
        yellow_at=timestamp(yellow_at),
        paused=paused,
        changed_at=timestamp(changed_at),
        reason=reason,
    )


def test_dispatchs_handle_deadline_shows_on_the_petition_paused_resumed_and_never_stale(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = new_petition(client)
    deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)
    store.clock.advance(timedelta(hours=1))
    verified_at = store.clock.now()
    verify = petition_pb2.VerifyPetitionRequest(
        request_id="v-1", id=petition_id, category="nyc.noise_residential", note="noise, no cover"
    )
    stub.VerifyPetition(verify, metadata=WORKER)
    # Dispatch learns the new category from the status change ...
    verified = store.status_changes()[-1]
    assert verified.to_status == petition_pb2.PETITION_STATUS_VERIFIED
    assert verified.category == "nyc.noise_residential"
    # ... and answers with the handle clock: 4 h, yellow with 1 h left.
    deadline = verified_at + timedelta(hours=4)
    started = deadline_changed(
        petition_id,
        deadline=deadline,
        yellow_at=deadline - timedelta(hours=1),
        changed_at=verified_at,
    )
    deliver(store, started, petition_id)

    def shown() -> dict[str, Any]:
        got = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a"))
        return dict(got.get_json())

    body = shown()
    assert body["deadline"] == body["deadlines"]["current"] == deadline.isoformat()
    assert body["deadlines"]["handling"] == deadline.isoformat()
    assert body["deadlines"]["verify"] == (T0 + timedelta(hours=25)).isoformat()
    assert body["light"] == "GREEN"
    got = stub.GetPetition(petition_pb2.GetPetitionRequest(id=petition_id), metadata=WORKER)
    assert got.petition.handling_deadline.ToDatetime(tzinfo=UTC) == deadline
    assert got.petition.deadline.ToDatetime(tzinfo=UTC) == deadline
    assert got.petition.light == petition_pb2.LIGHT_GREEN
    # Paused in the yellow: the light stays yellow while the resident is awaited.
    store.clock.advance(timedelta(hours=3, minutes=30))
    paused_at = store.clock.now()
    pause = deadline_changed(
        petition_id,
        deadline=deadline,
        yellow_at=deadline - timedelta(hours=1),
        changed_at=paused_at,
        paused=True,
        reason="clock paused: waiting for the resident",
    )
    deliver(store, pause, petition_id)
    store.clock.advance(timedelta(hours=5))
    assert shown()["light"] == "YELLOW"  # past the old deadline, but the clock stands
    listed = stub.ListPetitions(
        petition_pb2.ListPetitionsRequest(light=petition_pb2.LIGHT_YELLOW), metadata=WORKER
    )
    assert [p.id for p in listed.petitions] == [petition_id]
    red = petition_pb2.ListPetitionsRequest(light=petition_pb2.LIGHT_RED)
    assert list(stub.ListPetitions(red, metadata=WORKER).petitions) == []
    # Resumed: the 30 min left run from now.
    resumed_deadline = store.clock.now() + timedelta(minutes=30)
    resume = deadline_changed(
        petition_id,
        deadline=resumed_deadline,
        yellow_at=store.clock.now(),
        changed_at=store.clock.now(),
        reason="clock resumed",
    )
    deliver(store, resume, petition_id)
    # A stale change (an older pause, redelivered out of order) changes nothing.
    deliver(store, pause, petition_id)
    body = shown()
    assert body["deadlines"]["handling"] == resumed_deadline.isoformat()
    assert body["light"] == "YELLOW"
    store.clock.advance(timedelta(minutes=30))
    assert shown()["light"] == "RED"
    assert [p.id for p in stub.ListPetitions(red, metadata=WORKER).petitions] == [petition_id]
    history = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("admin-1", Role.ADMIN)
    ).get_json()["entries"]
    mine = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("resident-a")
    ).get_json()["entries"]
    assert [e["kind"] for e in mine] == ["STATUS", "STATUS", "STATUS"]  # no clock bookkeeping
    notes = [e["note"] for e in history if e["to_status"] == "VERIFIED"][1:]
    assert len(notes) == 3
    assert notes[0].startswith(f"handle deadline {deadline.isoformat()}: petition verified")
    assert "(clock paused)" in notes[1] and "clock resumed" in notes[2]


def test_a_handle_deadline_for_a_resolved_petition_is_ignored(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = new_petition(client)
    deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)
    verify = petition_pb2.VerifyPetitionRequest(request_id="v-1", id=petition_id)
    stub.VerifyPetition(verify, metadata=WORKER)
    resolve = petition_pb2.ResolvePetitionRequest(request_id="r-1", id=petition_id, note="done")
    stub.ResolvePetition(resolve, metadata=WORKER)
    late = deadline_changed(
        petition_id,
        deadline=T0 + timedelta(hours=4),
        yellow_at=T0 + timedelta(hours=3),
        changed_at=T0,
    )

    deliver(store, late, petition_id)

    body = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert body["status"] == "RESOLVED"
    assert body["deadline"] is None and body["light"] is None


def test_a_handling_deadline_staff_set_at_verification_reaches_dispatch_and_stays(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = new_petition(client)
    deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)
    store.clock.advance(timedelta(hours=1))
    verified_at = store.clock.now()
    chosen = verified_at + timedelta(days=2)
    verify = petition_pb2.VerifyPetitionRequest(
        request_id="v-1", id=petition_id, deadline=timestamp(chosen), note="needs a new cover"
    )
    stub.VerifyPetition(verify, metadata=WORKER)
    # Dispatch is told the deadline staff chose ...
    verified = store.status_changes()[-1]
    assert verified.to_status == petition_pb2.PETITION_STATUS_VERIFIED
    assert verified.handling_deadline.ToDatetime(tzinfo=UTC) == chosen
    # ... and answers with a handle clock running until it (yellow with 12 h left).
    started = deadline_changed(
        petition_id,
        deadline=chosen,
        yellow_at=chosen - timedelta(hours=12),
        changed_at=verified_at,
        reason="petition verified: deadline set by worker-9 at verification",
    )
    deliver(store, started, petition_id)

    body = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert body["deadline"] == body["deadlines"]["handling"] == chosen.isoformat()
    got = stub.GetPetition(petition_pb2.GetPetitionRequest(id=petition_id), metadata=WORKER)
    assert got.petition.handling_deadline.ToDatetime(tzinfo=UTC) == chosen
    # Without a deadline of their own, the status change carries none: dispatch's SLA rules.
    other = new_petition(client)
    deliver(store, assigned(other, T0 + timedelta(hours=25)), other)
    stub.VerifyPetition(
        petition_pb2.VerifyPetitionRequest(request_id="v-2", id=other), metadata=WORKER
    )
    assert not store.status_changes()[-1].HasField("handling_deadline")


def test_a_paused_clock_is_shown_as_paused_with_when_over_http_and_grpc(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = new_petition(client)
    deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)
    verified_at = store.clock.now()
    stub.VerifyPetition(
        petition_pb2.VerifyPetitionRequest(request_id="v-1", id=petition_id), metadata=WORKER
    )
    deadline = verified_at + timedelta(hours=4)
    yellow_at = deadline - timedelta(hours=1)
    deliver(
        store,
        deadline_changed(
            petition_id, deadline=deadline, yellow_at=yellow_at, changed_at=verified_at
        ),
        petition_id,
    )

    def shown() -> tuple[dict[str, Any], petition_pb2.Petition]:
        body = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a"))
        got = stub.GetPetition(petition_pb2.GetPetitionRequest(id=petition_id), metadata=WORKER)
        return dict(body.get_json()), got.petition

    body, petition = shown()
    assert (body["paused"], body["paused_at"]) == (False, None)
    assert not petition.paused and not petition.HasField("paused_at")
    store.clock.advance(timedelta(hours=1))
    paused_at = store.clock.now()
    pause = deadline_changed(
        petition_id,
        deadline=deadline,
        yellow_at=yellow_at,
        changed_at=paused_at,
        paused=True,
        reason="clock paused: waiting for the resident",
    )
    deliver(store, pause, petition_id)
    store.clock.advance(timedelta(hours=6))
    body, petition = shown()
    assert (body["paused"], body["paused_at"]) == (True, paused_at.isoformat())
    assert body["light"] == "GREEN"  # the light it had when the clock stopped
    assert petition.paused and petition.paused_at.ToDatetime(tzinfo=UTC) == paused_at
    resume = deadline_changed(
        petition_id,
        deadline=store.clock.now() + timedelta(hours=3),
        yellow_at=store.clock.now() + timedelta(hours=2),
        changed_at=store.clock.now(),
        reason="clock resumed",
    )
    deliver(store, resume, petition_id)
    body, petition = shown()
    assert (body["paused"], body["paused_at"]) == (False, None)
    assert not petition.paused and not petition.HasField("paused_at")
