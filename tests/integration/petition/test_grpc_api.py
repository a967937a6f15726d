"""PetitionService on a real in-process kit GrpcServer, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.common.v1 import common_pb2
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from tests.integration.petition.conftest import JWT, T0, Store, assigned, deliver, token
from tests.support.grpc import serving

pytestmark = pytest.mark.integration

STAFF = [("authorization", f"Bearer {token('clerk-1', Role.ADMIN)}")]
WORKER = [("authorization", f"Bearer {token('worker-7', Role.GRID_WORKER)}")]
RESIDENT = [("authorization", f"Bearer {token('resident-a')}")]


@pytest.fixture
def stub(store: Store) -> Iterator[petition_pb2_grpc.PetitionServiceStub]:
    servicer = PetitionServicer(store.sessions, store.deps, wake=store.wake)

    def register(server: grpc.Server) -> None:
        petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield petition_pb2_grpc.PetitionServiceStub(channel)


def request(request_id: str, title: str = "垃圾未清运") -> petition_pb2.SubmitPetitionRequest:
    return petition_pb2.SubmitPetitionRequest(
        request_id=request_id,
        title=title,
        description="bins not emptied for 3 days",
        location=common_pb2.GeoPoint(lat=39.95, lon=116.3),
    )


def field_violations(error: grpc.RpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found.update({v.field: v.description for v in bad.field_violations})
    return found


def test_submit_is_idempotent_per_request_id(stub, store: Store) -> None:
    first = stub.SubmitPetition(request("call-1"), metadata=STAFF, timeout=5).petition
    again = stub.SubmitPetition(request("call-1"), metadata=STAFF, timeout=5).petition

    assert again.id == first.id
    assert first.status == petition_pb2.PETITION_STATUS_SUBMITTED
    assert first.source == petition_pb2.PETITION_SOURCE_HOTLINE
    assert first.created_at.ToDatetime().isoformat() == "2026-11-27T09:00:00"
    assert store.petition_count() == 1
    with pytest.raises(grpc.RpcError) as reused:
        stub.SubmitPetition(request("call-1", title="other"), metadata=STAFF, timeout=5)
    assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in field_violations(reused.value)
    patrol = stub.SubmitPetition(request("call-1"), metadata=WORKER, timeout=5).petition
    assert patrol.id != first.id and patrol.source == petition_pb2.PETITION_SOURCE_GRID_WORKER


def test_bad_submissions_name_their_fields(stub, store: Store) -> None:
    with pytest.raises(grpc.RpcError) as no_id:
        stub.SubmitPetition(request(""), metadata=STAFF, timeout=5)
    assert set(field_violations(no_id.value)) == {"request_id"}

    bad = request("call-2")
    bad.location.lat = 91
    bad.ClearField("title")
    with pytest.raises(grpc.RpcError) as invalid:
        stub.SubmitPetition(bad, metadata=STAFF, timeout=5)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(invalid.value)) == {"title", "location.lat"}

    missing = request("call-3")
    missing.ClearField("location")
    with pytest.raises(grpc.RpcError) as unlocated:
        stub.SubmitPetition(missing, metadata=STAFF, timeout=5)
    assert set(field_violations(unlocated.value)) == {"location.lat", "location.lon"}
    assert store.petition_count() == 0


def test_residents_use_http_and_strangers_nothing(stub) -> None:
    with pytest.raises(grpc.RpcError) as resident:
        stub.GetPetition(petition_pb2.GetPetitionRequest(id="x"), metadata=RESIDENT, timeout=5)
    assert resident.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as anonymous:
        stub.GetPetition(petition_pb2.GetPetitionRequest(id="x"), timeout=5)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as unknown:
        stub.GetPetition(petition_pb2.GetPetitionRequest(id="x"), metadata=STAFF, timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_list_filters_by_status_and_grid_subtree_and_pages(stub, store: Store) -> None:
    ids = []
    for n in range(5):
        store.clock.advance(timedelta(minutes=1))
        ids.append(stub.SubmitPetition(request(f"r-{n}"), metadata=STAFF, timeout=5).petition.id)
    for petition_id in ids[:3]:
        deliver(store, assigned(petition_id, T0 + timedelta(days=1)), petition_id)

    def listed(**filters: Any) -> list[str]:
        seen, token_ = [], ""
        while True:
            page = stub.ListPetitions(
                petition_pb2.ListPetitionsRequest(page_size=2, page_token=token_, **filters),
                metadata=STAFF,
                timeout=5,
            )
            seen += [p.id for p in page.petitions]
            token_ = page.next_page_token
            if not token_:
                return seen

    assert listed() == list(reversed(ids))
    assert listed(status=petition_pb2.PETITION_STATUS_ASSIGNED) == list(reversed(ids[:3]))
    assert listed(status=petition_pb2.PETITION_STATUS_SUBMITTED) == list(reversed(ids[3:]))
    assert listed(grid_code="G1-2") == list(reversed(ids[:3]))  # level 2 holds the level-3 grid
    assert listed(grid_code="G1-2-3") == list(reversed(ids[:3]))
    assert listed(grid_code="G1-2-") == []  # codes match whole, not by prefix

    shown = stub.GetPetition(petition_pb2.GetPetitionRequest(id=ids[0]), metadata=STAFF, timeout=5)
    assert list(shown.petition.grid.path) == ["G1", "G1-2", "G1-2-3"]
    assert shown.petition.deadline.ToDatetime().isoformat() == "2026-11-28T09:00:00"
    history = stub.GetPetitionHistory(
        petition_pb2.GetPetitionHistoryRequest(id=ids[0]), metadata=STAFF, timeout=5
    )
    assert [e.to_status for e in history.entries] == [
        petition_pb2.PETITION_STATUS_SUBMITTED,
        petition_pb2.PETITION_STATUS_ASSIGNED,
    ]
    assert history.entries[1].actor_role == "service"
