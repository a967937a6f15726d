"""Staff drive petitions through the lifecycle over gRPC; dispatch and evaluation events move
them too; every change lands in the history and the outbox, retries apply once, and refused
changes name the current state."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from flask.testing import FlaskClient

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.auth import Role
from gridplus.petition.api.convert import timestamp
from tests.integration.petition.conftest import (
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    category_choice,
    deliver,
)

pytestmark = pytest.mark.integration

WORKER = as_caller("worker-9", Role.GRID_WORKER, grids=("G1-2",))
ADMIN = as_caller("admin-1", Role.ADMIN)
S = petition_pb2


def submit(client: FlaskClient, who: str = "resident-a", **extra: object) -> str:
    body = {"title": "井盖丢失", "description": "manhole open", "lat": 39.9, "lon": 116.4, **extra}
    response = client.post("/api/v1/petitions", json=body, headers=bearer(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def routed(store: Store, petition_id: str, department: str = "roads") -> None:
    event = assigned(petition_id, T0 + timedelta(hours=4))
    event.category_choice.CopyFrom(category_choice())
    event.department_code = department
    deliver(store, event, petition_id)


def follow_up(store: Store, petition_id: str, outcome: int) -> None:
    event = events_pb2.FollowUpCompleted(
        petition_id=petition_id,
        outcome=outcome,  # type: ignore[arg-type]
        via="rating",
        actor_id="resident-a",
        completed_at=timestamp(store.clock.now()),
    )
    deliver(store, event, petition_id)


def statuses(stub, petition_id: str) -> list[tuple[int, int, str]]:
    history = stub.GetPetitionHistory(S.GetPetitionHistoryRequest(id=petition_id), metadata=ADMIN)
    return [(e.from_status, e.to_status, e.note) for e in history.entries if e.kind == 1]


def test_a_petition_goes_the_whole_way_with_reopen_and_no_response_close(
    client: FlaskClient, store: Store, stub
) -> None:
    petition_id = submit(client)
    routed(store, petition_id)

    shown = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert shown["category_choice"] == {
        "code": "road.manhole",
        "name_zh": "井盖",
        "name_en": "Manhole cover",
        "top_level_code": "road",
        "source": "CLASSIFIED",
        "classified": True,
        "confidence": pytest.approx(0.87),
    }
    assert shown["department_code"] == "roads"
    assert shown["deadlines"]["verify"] == "2026-11-27T13:00:00+00:00"
    assert shown["light"] == "GREEN"

    store.clock.advance(timedelta(hours=1))
    verify = S.VerifyPetitionRequest(
        request_id="v-1",
        id=petition_id,
        deadline=timestamp(T0 + timedelta(days=3)),
        note="on site: confirmed",
    )
    first = stub.VerifyPetition(verify, metadata=WORKER).petition
    again = stub.VerifyPetition(verify, metadata=WORKER).petition  # a retry: applied once
    assert first.status == again.status == S.PETITION_STATUS_VERIFIED
    assert first.handling_deadline.ToDatetime().isoformat() == "2026-11-30T09:00:00"
    assert first.category_choice.origin == S.CATEGORY_ORIGIN_CLASSIFIED
    assert first.category_choice.name_en == "Manhole cover"
    with pytest.raises(grpc.RpcError) as reused:
        stub.VerifyPetition(
            S.VerifyPetitionRequest(request_id="v-1", id=petition_id, note="other"),
            metadata=WORKER,
        )
    assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    resolve = S.ResolvePetitionRequest(request_id="r-1", id=petition_id, note="cover replaced")
    assert stub.ResolvePetition(resolve, metadata=WORKER).petition.resolution_note == (
        "cover replaced"
    )
    follow_up(store, petition_id, events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED)
    follow_up(store, petition_id, events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED)  # redelivered
    resolve_again = S.ResolvePetitionRequest(request_id="r-2", id=petition_id, note="fixed again")
    stub.ResolvePetition(resolve_again, metadata=WORKER)
    follow_up(store, petition_id, events_pb2.FOLLOW_UP_OUTCOME_NO_RESPONSE)

    assert statuses(stub, petition_id) == [
        (S.PETITION_STATUS_UNSPECIFIED, S.PETITION_STATUS_SUBMITTED, ""),
        (
            S.PETITION_STATUS_SUBMITTED,
            S.PETITION_STATUS_ASSIGNED,
            "point lies in G1-2-3; worker-7 is on duty",
        ),
        (S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_VERIFIED, "on site: confirmed"),
        (S.PETITION_STATUS_VERIFIED, S.PETITION_STATUS_RESOLVED, "cover replaced"),
        (S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_REOPENED, "follow-up: unsatisfied"),
        (S.PETITION_STATUS_REOPENED, S.PETITION_STATUS_RESOLVED, "fixed again"),
        (S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_CLOSED, "no response"),
    ]
    published = [(c.from_status, c.to_status) for c in store.status_changes()]
    assert published == [(f, t) for f, t, _ in statuses(stub, petition_id)[1:]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("ResolvePetition", S.ResolvePetitionRequest(request_id="x", note="done")),
        ("ReopenPetition", S.ReopenPetitionRequest(request_id="x")),
        ("VerifyPetition", S.VerifyPetitionRequest(request_id="x")),
    ],
)
def test_a_refused_change_names_the_current_state_and_changes_nothing(
    client: FlaskClient, store: Store, stub, call: str, message
) -> None:
    petition_id = submit(client)
    message.id = petition_id

    with pytest.raises(grpc.RpcError) as refused:
        getattr(stub, call)(message, metadata=ADMIN)

    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "is SUBMITTED" in (refused.value.details() or "")
    assert store.status_changes() == []


def test_rejection_needs_a_reason_and_notes_keep_the_status(
    client: FlaskClient, store: Store, stub
) -> None:
    petition_id = submit(client)
    with pytest.raises(grpc.RpcError) as empty:
        stub.RejectPetition(
            S.RejectPetitionRequest(request_id="j-0", id=petition_id), metadata=ADMIN
        )
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    note = S.AddPetitionNoteRequest(request_id="n-1", id=petition_id, note="called the reporter")
    assert stub.AddPetitionNote(note, metadata=ADMIN).petition.status == S.PETITION_STATUS_SUBMITTED
    rejected = stub.RejectPetition(
        S.RejectPetitionRequest(request_id="j-1", id=petition_id, reason="private property"),
        metadata=ADMIN,
    ).petition
    assert (rejected.status, rejected.reject_reason) == (
        S.PETITION_STATUS_REJECTED,
        "private property",
    )
    history = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("resident-a")
    ).get_json()["entries"]
    assert [(e["kind"], e["to_status"]) for e in history] == [
        ("STATUS", "SUBMITTED"),
        ("NOTE", "SUBMITTED"),
        ("STATUS", "REJECTED"),
    ]


def test_a_merged_duplicates_reporter_follows_the_survivor(
    client: FlaskClient, store: Store, stub
) -> None:
    survivor = submit(client, "resident-a", contact={"name": "张三", "phone": "13812341234"})
    duplicate = submit(
        client, "resident-b", contact={"name": "李四", "email": "li@example.org", "language": "en"}
    )
    closed = submit(client, "resident-c")
    stub.RejectPetition(
        S.RejectPetitionRequest(request_id="j", id=closed, reason="no"), metadata=ADMIN
    )

    with pytest.raises(grpc.RpcError) as into_final:
        stub.MergePetition(
            S.MergePetitionRequest(request_id="m-0", id=duplicate, survivor_id=closed),
            metadata=ADMIN,
        )
    assert into_final.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    merged = stub.MergePetition(
        S.MergePetitionRequest(request_id="m-1", id=duplicate, survivor_id=survivor),
        metadata=ADMIN,
    ).petition

    assert (merged.status, merged.duplicate_of) == (S.PETITION_STATUS_DUPLICATE, survivor)
    [event] = store.events(events_pb2.PetitionMerged)
    assert (event.petition_id, event.survivor_id, event.actor_id) == (
        duplicate,
        survivor,
        "admin-1",
    )
    assert (
        client.get(f"/api/v1/petitions/{survivor}", headers=bearer("resident-b")).status_code == 200
    )
    assert (
        client.get(f"/api/v1/petitions/{survivor}", headers=bearer("resident-c")).status_code == 404
    )
    service = as_caller("notification", Role.SERVICE)
    contacts = stub.GetReporterContacts(
        S.GetReporterContactsRequest(petition_id=survivor), metadata=service
    ).contacts
    assert [
        (c.reporter_id, c.display_name, c.phone, c.email, c.via_duplicate) for c in contacts
    ] == [
        ("resident-a", "张三", "13812341234", "", False),
        ("resident-b", "李四", "", "li@example.org", True),
    ]
    assert [c.language for c in contacts] == ["", "en"]
    with pytest.raises(grpc.RpcError) as staff:
        stub.GetReporterContacts(S.GetReporterContactsRequest(petition_id=survivor), metadata=ADMIN)
    assert staff.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_triage_is_shown_until_the_petition_is_routed(
    client: FlaskClient, store: Store, stub
) -> None:
    petition_id = submit(client)
    triage = events_pb2.PetitionSentToTriage(
        petition_id=petition_id,
        best_guess=category_choice(confidence=0.31),
        reason="classifier below threshold",
        sent_at=timestamp(T0),
    )
    deliver(store, triage, petition_id)

    staff = bearer("admin-1", Role.ADMIN)
    shown = client.get(f"/api/v1/petitions/{petition_id}", headers=staff).get_json()
    assert shown["triage"] == {
        "waiting": True,
        "reason": "classifier below threshold (best guess Manhole cover, confidence 0.31)",
    }
    # The reporter is told what happens, not the classifier's scores (api/resident_view.py).
    mine = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert mine["triage"] == {"waiting": True, "reason": "staff are choosing the category"}
    got = stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=ADMIN).petition
    assert got.in_triage and got.status == S.PETITION_STATUS_SUBMITTED
    routed(store, petition_id)
    shown = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert shown["triage"] is None and shown["status"] == "ASSIGNED"


def test_staff_see_and_change_only_their_scope(client: FlaskClient, store: Store, stub) -> None:
    petition_id = submit(client)
    routed(store, petition_id, department="roads")
    get = S.GetPetitionRequest(id=petition_id)

    for allowed in (
        WORKER,
        as_caller("d-1", Role.DEPARTMENT_STAFF, department="roads"),
        as_caller("worker-7", Role.GRID_WORKER),  # the assignee
        as_caller("i-1", Role.INSPECTOR),
    ):
        assert stub.GetPetition(get, metadata=allowed).petition.id == petition_id
    for outsider in (
        as_caller("w-2", Role.GRID_WORKER, grids=("G2",)),
        as_caller("d-2", Role.DEPARTMENT_HEAD, department="water"),
    ):
        with pytest.raises(grpc.RpcError) as hidden:
            stub.GetPetition(get, metadata=outsider)
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as inspector:
        stub.VerifyPetition(
            S.VerifyPetitionRequest(request_id="v", id=petition_id),
            metadata=as_caller("i-1", Role.INSPECTOR),
        )
    assert inspector.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Inspectors change nothing but note what they found (the RPC policy and README; issue 17:
    # the handler refused them).
    noted = stub.AddPetitionNote(
        S.AddPetitionNoteRequest(request_id="n", id=petition_id, note="seen on an open visit"),
        metadata=as_caller("i-1", Role.INSPECTOR),
    ).petition
    assert noted.id == petition_id and noted.status == S.PETITION_STATUS_ASSIGNED


def test_a_transfer_changes_the_handler_and_keeps_the_clock(
    client: FlaskClient, store: Store, stub
) -> None:
    petition_id = submit(client)
    routed(store, petition_id, department="roads")
    before = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
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

    after = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert after["department_code"] == "water"  # the resident sees the department, no staff id
    admin = bearer("admin-1", Role.ADMIN)
    staff = client.get(f"/api/v1/petitions/{petition_id}", headers=admin).get_json()
    assert (staff["assignee_id"], staff["department_code"]) == ("clerk-3", "water")
    assert after["deadline"] == before["deadline"] and after["status"] == "ASSIGNED"
    water = as_caller("d-9", Role.DEPARTMENT_STAFF, department="water")
    assert stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=water).petition.id
    history = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("admin-1", Role.ADMIN)
    ).get_json()["entries"]
    assert history[-1]["kind"] == "NOTE"
    assert (
        history[-1]["note"] == "transferred to clerk-3: a burst pipe under the cover (by chief-1)"
    )
    # The reporter's history leaves dispatch's bookkeeping out: no handler ids, no reasons.
    mine = client.get(
        f"/api/v1/petitions/{petition_id}/history", headers=bearer("resident-a")
    ).get_json()["entries"]
    assert [(e["kind"], e["to_status"]) for e in mine] == [
        ("STATUS", "SUBMITTED"),
        ("STATUS", "ASSIGNED"),
    ]
    assert "clerk-3" not in str(mine) and "chief-1" not in str(mine)
