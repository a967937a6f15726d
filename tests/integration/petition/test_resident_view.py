"""What a resident reads of their own petition over HTTP (api/resident_view.py): the history in
resident words — no staff ids, no dispatch reasons, the notes written for them kept — while
staff read the whole record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import Role
from tests.integration.petition.conftest import (
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)

WORKER = as_caller("worker-7", Role.GRID_WORKER, grids=("G1-2",))


def history(client: FlaskClient, petition_id: str, headers: dict[str, str]) -> list[Any]:
    response = client.get(f"/api/v1/petitions/{petition_id}/history", headers=headers)
    assert response.status_code == 200
    return list(response.get_json()["entries"])


def test_the_reporter_reads_the_five_steps_in_resident_words(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    store.clock.set(T0 + timedelta(microseconds=123456))
    body = {"title": "井盖丢失", "description": "manhole open", "lat": 39.9, "lon": 116.4}
    submitted = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    petition_id = str(submitted.get_json()["id"])
    deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)
    stub.VerifyPetition(
        S.VerifyPetitionRequest(request_id="v", id=petition_id, note="worker-7 on site, ok"),
        metadata=WORKER,
    )
    stub.AddPetitionNote(
        S.AddPetitionNoteRequest(request_id="n", id=petition_id, note="Parts ordered."),
        metadata=WORKER,
    )
    stub.ResolvePetition(
        S.ResolvePetitionRequest(request_id="r", id=petition_id, note="New cover fitted."),
        metadata=WORKER,
    )

    staff = history(client, petition_id, bearer("admin-1", Role.ADMIN))
    mine = history(client, petition_id, bearer("resident-a"))

    assert "worker-7 is on duty" in staff[1]["note"] and staff[1]["actor_id"] == "dispatch"
    assert [
        (e["kind"], e["to_status"], e["actor_role"], e["actor_id"], e["note"]) for e in mine
    ] == [
        ("STATUS", "SUBMITTED", "resident", "resident-a", ""),
        ("STATUS", "ASSIGNED", "service", "", ""),
        ("STATUS", "VERIFIED", "grid_worker", "", ""),
        ("NOTE", "VERIFIED", "grid_worker", "", "Parts ordered."),
        ("STATUS", "RESOLVED", "grid_worker", "", "New cover fitted."),
    ]
    assert "worker-7" not in str(mine)
    assert mine[0]["at"] == "2026-11-27T09:00:00+00:00"  # to the second
    assert staff[0]["at"] == "2026-11-27T09:00:00.123456+00:00"


def test_a_rejection_tells_the_reporter_why(
    client: FlaskClient, store: Store, stub: petition_pb2_grpc.PetitionServiceStub
) -> None:
    body = {"title": "噪音", "description": "loud", "lat": 39.9, "lon": 116.4}
    petition_id = str(
        client.post("/api/v1/petitions", json=body, headers=bearer("resident-a")).get_json()["id"]
    )
    stub.RejectPetition(
        S.RejectPetitionRequest(request_id="j", id=petition_id, reason="A private matter."),
        metadata=as_caller("admin-1", Role.ADMIN),
    )

    mine = history(client, petition_id, bearer("resident-a"))

    assert (mine[-1]["to_status"], mine[-1]["note"], mine[-1]["actor_id"]) == (
        "REJECTED",
        "A private matter.",
        "",
    )
