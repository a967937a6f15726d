"""Issue 15: a resident never reads a staff member's id (the grid worker handling their petition,
who verified or resolved it, who asked for a transfer, who wrote a note), over HTTP or gRPC,
while staff read the whole record. The department and the grid stay: a resident may know which
department handles it."""

from __future__ import annotations

import json
from datetime import timedelta

import grpc
import pytest
from flask.testing import FlaskClient

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.petition.api.convert import timestamp
from tests.integration.petition.conftest import (
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)

pytestmark = pytest.mark.integration

# The assignee after the transfer verifies and resolves, so every staff id below is on the record.
CLERK = as_caller("clerk-3", Role.GRID_WORKER, grids=("G1-2",))
STAFF_IDS = ("worker-7", "clerk-3", "chief-1")
RESIDENT = as_caller("resident-a", Role.RESIDENT)


def handled_petition(client: FlaskClient, store: Store, stub) -> str:
    """A resident's petition routed to worker-7, moved to clerk-3 (roads -> water) at chief-1's
    request, noted, verified and resolved by clerk-3."""
    body = {"title": "井盖丢失", "description": "", "lat": 39.9, "lon": 116.4}
    response = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    assert response.status_code == 201
    petition_id = str(response.get_json()["id"])
    routing = assigned(petition_id, T0 + timedelta(hours=4))
    routing.department_code = "roads"
    deliver(store, routing, petition_id)
    transfer = events_pb2.AssignmentTransferred(
        petition_id=petition_id,
        from_assignee_id="worker-7",
        to_assignee_id="clerk-3",
        from_department_code="roads",
        to_department_code="water",
        reason="a burst pipe under the cover",
        actor_id="chief-1",
        transferred_at=timestamp(T0 + timedelta(minutes=30)),
    )
    deliver(store, transfer, petition_id)
    steps = [
        (stub.AddPetitionNote, S.AddPetitionNoteRequest(note="crew booked for Monday")),
        (stub.VerifyPetition, S.VerifyPetitionRequest()),
        (stub.ResolvePetition, S.ResolvePetitionRequest(note="cover replaced")),
    ]
    for n, (call, request) in enumerate(steps):
        request.request_id, request.id = f"step-{n}", petition_id  # type: ignore[attr-defined]
        call(request, metadata=CLERK)
    return petition_id


def test_a_resident_reads_no_staff_id_over_http_while_staff_read_the_assignee(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = handled_petition(client, store, stub)
    resident = bearer("resident-a")

    shown = client.get(f"/api/v1/petitions/{petition_id}", headers=resident).get_json()
    listed = client.get("/api/v1/petitions", headers=resident).get_json()
    history = client.get(f"/api/v1/petitions/{petition_id}/history", headers=resident).get_json()
    # Open311's public views (anyone may read them) name the agency, never a person.
    public_one = client.get(f"/open311/v2/requests/{petition_id}.json").get_json()
    public_all = client.get("/open311/v2/requests.json").get_json()
    assert [r["agency_responsible"] for r in public_one] == ["water"]

    assert "assignee_id" not in shown
    assert [p["id"] for p in listed["petitions"]] == [petition_id]
    assert "assignee_id" not in listed["petitions"][0]
    for read in (shown, listed, history, public_one, public_all):
        text = json.dumps(read, ensure_ascii=False)
        assert not [staff for staff in STAFF_IDS if staff in text], text
    # What a resident may know stays: who handles it by department and grid, and the outcome.
    assert (shown["department_code"], shown["grid"]["code"]) == ("water", "G1-2-3")
    assert (shown["status"], shown["resolution_note"]) == ("RESOLVED", "cover replaced")
    assert {e["actor_role"] for e in history["entries"]} >= {"grid_worker", "resident"}

    # Staff reading the same petition over HTTP get the whole record.
    staff = bearer("clerk-3", Role.GRID_WORKER, grids=("G1-2",))
    full = client.get(f"/api/v1/petitions/{petition_id}", headers=staff).get_json()
    assert (full["assignee_id"], full["department_code"]) == ("clerk-3", "water")
    staff_history = client.get(f"/api/v1/petitions/{petition_id}/history", headers=staff)
    assert "clerk-3" in {e["actor_id"] for e in staff_history.get_json()["entries"]}


def test_a_residents_grpc_read_is_refused_while_a_workers_carries_the_assignee(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = handled_petition(client, store, stub)

    history_of = S.GetPetitionHistoryRequest(id=petition_id)
    reads = [
        lambda md: stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=md),
        lambda md: stub.ListPetitions(S.ListPetitionsRequest(), metadata=md),
        lambda md: stub.GetPetitionHistory(history_of, metadata=md),
        lambda md: next(iter(stub.WatchPetitions(S.WatchPetitionsRequest(), metadata=md))),
    ]
    for read in reads:
        with pytest.raises(grpc.RpcError) as refused:
            read(RESIDENT)  # residents read over HTTP, in resident words; gRPC is for staff
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED

    got = stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=CLERK).petition
    assert (got.assignee_id, got.department_code) == ("clerk-3", "water")
    listed = stub.ListPetitions(S.ListPetitionsRequest(), metadata=CLERK).petitions
    assert [p.assignee_id for p in listed] == ["clerk-3"]
    history = stub.GetPetitionHistory(history_of, metadata=CLERK)
    assert "clerk-3" in {e.actor_id for e in history.entries}
