"""Every mutating RPC of PetitionService is applied once per request id: the same id again answers
as the first call did and changes nothing (one history entry, one event, one petition, one
erasure); the same id with another body is refused with INVALID_ARGUMENT naming `request_id`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import grpc
import pytest
from flask.testing import FlaskClient
from google.protobuf.message import Message
from sqlalchemy import func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.kit.db import transaction
from gridplus.kit.roles import Role
from gridplus.kit.tables import outbox_messages
from gridplus.petition.storage.models import ContactRow
from tests.integration.petition.conftest import T0, Store, as_caller, assigned, bearer, deliver
from tests.integration.petition.test_grpc_api import field_violations

pytestmark = pytest.mark.integration

WORKER = as_caller("worker-9", Role.GRID_WORKER, grids=("G1-2",))
ADMIN = as_caller("admin-1", Role.ADMIN)


def submit(client: FlaskClient, who: str = "resident-a") -> str:
    body = {
        "title": "井盖丢失",
        "description": "manhole open",
        "lat": 39.9,
        "lon": 116.4,
        "contact": {"name": "张三", "phone": "13812341234"},
    }
    response = client.post("/api/v1/petitions", json=body, headers=bearer(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def routed(store: Store, petition_id: str) -> None:
    deliver(store, assigned(petition_id, T0 + timedelta(hours=4)), petition_id)


def verified(stub, store: Store, petition_id: str) -> None:
    routed(store, petition_id)
    stub.VerifyPetition(S.VerifyPetitionRequest(request_id=f"v-{petition_id}", id=petition_id),
                        metadata=WORKER)  # fmt: skip


def resolved(stub, store: Store, petition_id: str) -> None:
    verified(stub, store, petition_id)
    note = S.ResolvePetitionRequest(request_id=f"r-{petition_id}", id=petition_id, note="done")
    stub.ResolvePetition(note, metadata=WORKER)


@dataclass(frozen=True)
class Case:
    """How to bring a petition to where the RPC applies, and the RPC with two bodies."""

    rpc: str
    ready: Callable[[object, Store, str], None]
    body: Callable[[str, str], Message]  # (request_id, petition_id) -> the request
    other: Callable[[str, str], Message]  # the same id with another body
    metadata: list[tuple[str, str]]


def nothing(stub: object, store: Store, petition_id: str) -> None:
    return None


CASES = [
    Case(
        "SubmitPetition",
        nothing,
        lambda rid, _: S.SubmitPetitionRequest(
            request_id=rid,
            title="路灯不亮",
            description="dark",
            location=common_pb2.GeoPoint(lat=39.9, lon=116.4),
        ),
        lambda rid, _: S.SubmitPetitionRequest(
            request_id=rid,
            title="路灯又不亮",
            description="dark",
            location=common_pb2.GeoPoint(lat=39.9, lon=116.4),
        ),
        WORKER,
    ),
    Case(
        "VerifyPetition",
        lambda stub, store, pid: routed(store, pid),
        lambda rid, pid: S.VerifyPetitionRequest(request_id=rid, id=pid, note="on site"),
        lambda rid, pid: S.VerifyPetitionRequest(request_id=rid, id=pid, note="elsewhere"),
        WORKER,
    ),
    Case(
        "RejectPetition",
        lambda stub, store, pid: routed(store, pid),
        lambda rid, pid: S.RejectPetitionRequest(request_id=rid, id=pid, reason="private land"),
        lambda rid, pid: S.RejectPetitionRequest(request_id=rid, id=pid, reason="other"),
        WORKER,
    ),
    Case(
        "MergePetition",
        lambda stub, store, pid: routed(store, pid),
        lambda rid, pid: S.MergePetitionRequest(request_id=rid, id=pid, survivor_id="SURVIVOR"),
        lambda rid, pid: S.MergePetitionRequest(request_id=rid, id=pid, survivor_id="OTHER"),
        ADMIN,
    ),
    Case(
        "ResolvePetition",
        verified,
        lambda rid, pid: S.ResolvePetitionRequest(request_id=rid, id=pid, note="cover replaced"),
        lambda rid, pid: S.ResolvePetitionRequest(request_id=rid, id=pid, note="welded shut"),
        WORKER,
    ),
    Case(
        "ReopenPetition",
        resolved,
        lambda rid, pid: S.ReopenPetitionRequest(request_id=rid, id=pid, note="still open"),
        lambda rid, pid: S.ReopenPetitionRequest(request_id=rid, id=pid, note="other"),
        WORKER,
    ),
    Case(
        "AddPetitionNote",
        nothing,
        lambda rid, pid: S.AddPetitionNoteRequest(request_id=rid, id=pid, note="called back"),
        lambda rid, pid: S.AddPetitionNoteRequest(request_id=rid, id=pid, note="other"),
        ADMIN,
    ),
    Case(
        "SetPetitionPublication",
        nothing,
        lambda rid, pid: S.SetPetitionPublicationRequest(request_id=rid, id=pid, publish=True),
        lambda rid, pid: S.SetPetitionPublicationRequest(request_id=rid, id=pid, publish=False),
        ADMIN,
    ),
    Case(
        "AnonymiseResident",
        nothing,
        lambda rid, _: S.AnonymiseResidentRequest(request_id=rid, resident_id="resident-a"),
        lambda rid, _: S.AnonymiseResidentRequest(request_id=rid, resident_id="resident-b"),
        ADMIN,
    ),
]


def effects(stub, store: Store, petition_id: str) -> tuple[int, ...]:
    """What a mutation leaves behind: petitions, outbox events, the petition's history entries,
    erased contacts."""
    with transaction(store.sessions) as session:
        events = session.execute(select(func.count()).select_from(outbox_messages)).scalar_one()
        erased = session.execute(
            select(func.count()).select_from(ContactRow).where(ContactRow.erased_at.is_not(None))
        ).scalar_one()
    history = stub.GetPetitionHistory(S.GetPetitionHistoryRequest(id=petition_id), metadata=ADMIN)
    return store.petition_count(), int(events), len(history.entries), int(erased)


@pytest.mark.parametrize("case", CASES, ids=[case.rpc for case in CASES])
def test_every_mutating_rpc_is_applied_once_per_request_id(
    case: Case, client: FlaskClient, store: Store, stub
) -> None:
    petition_id = submit(client)
    survivor = submit(client, "resident-b")
    case.ready(stub, store, petition_id)
    call = getattr(stub, case.rpc)

    def body(make: Callable[[str, str], Message]) -> Message:
        request = make("req-1", petition_id)
        if isinstance(request, S.MergePetitionRequest):
            request.survivor_id = survivor if request.survivor_id == "SURVIVOR" else petition_id
        return request

    before = effects(stub, store, petition_id)
    first = call(body(case.body), metadata=case.metadata)
    after_first = effects(stub, store, petition_id)
    again = call(body(case.body), metadata=case.metadata)  # a retry

    assert after_first != before  # the first call did something
    assert effects(stub, store, petition_id) == after_first  # the retry did nothing more
    assert again == first  # and answered as the first call did
    with pytest.raises(grpc.RpcError) as reused:
        call(body(case.other), metadata=case.metadata)
    assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in field_violations(reused.value)
    assert effects(stub, store, petition_id) == after_first


def test_an_erasure_retried_answers_the_first_count(
    client: FlaskClient, store: Store, stub
) -> None:
    submit(client)
    submit(client)
    erase = S.AnonymiseResidentRequest(request_id="a-1", resident_id="resident-a")
    assert stub.AnonymiseResident(erase, metadata=ADMIN).contacts_erased == 2
    # Nothing is left to erase, but the retry is the same request: the same answer.
    assert stub.AnonymiseResident(erase, metadata=ADMIN).contacts_erased == 2
    fresh = S.AnonymiseResidentRequest(request_id="a-2", resident_id="resident-a")
    assert stub.AnonymiseResident(fresh, metadata=ADMIN).contacts_erased == 0


def test_a_follow_up_redelivered_moves_the_petition_once(
    client: FlaskClient, store: Store, stub
) -> None:
    petition_id = submit(client)
    resolved(stub, store, petition_id)
    outcome = events_pb2.FollowUpCompleted(
        petition_id=petition_id, outcome=events_pb2.FOLLOW_UP_OUTCOME_SATISFIED, via="rating"
    )
    deliver(store, outcome, petition_id)
    once = effects(stub, store, petition_id)
    deliver(store, outcome, petition_id)
    assert effects(stub, store, petition_id) == once
