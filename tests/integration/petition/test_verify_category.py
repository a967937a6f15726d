"""Verifying a petition with a category: the code must be in grid-registry's taxonomy. An unknown
code is refused naming `category` and changes nothing; while the taxonomy cannot be had the call
is UNAVAILABLE, and no unchecked code is ever stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest
from flask.testing import FlaskClient
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from gridplus.petition.clients import RegistryCategories
from gridplus.petition.handlers.deps import Deps
from tests.integration.petition.conftest import (
    CATEGORIES,
    JWT,
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)
from tests.support.grpc import serving
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

WORKER = as_caller("worker-9", Role.GRID_WORKER, grids=("G1-2",))
ADMIN = as_caller("admin-1", Role.ADMIN)
S = petition_pb2


def submit(client: FlaskClient) -> str:
    body = {"title": "井盖丢失", "description": "manhole open", "lat": 39.9, "lon": 116.4}
    response = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def assigned_petition(client: FlaskClient, store: Store) -> str:
    petition_id = submit(client)
    deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)
    store.clock.advance(timedelta(minutes=5))
    return petition_id


def verify(stub: petition_pb2_grpc.PetitionServiceStub, petition_id: str, code: str) -> S.Petition:
    request = S.VerifyPetitionRequest(request_id=f"v-{code}", id=petition_id, category=code)
    return stub.VerifyPetition(request, metadata=WORKER).petition


def history_length(stub: petition_pb2_grpc.PetitionServiceStub, petition_id: str) -> int:
    history = stub.GetPetitionHistory(S.GetPetitionHistoryRequest(id=petition_id), metadata=ADMIN)
    return len(history.entries)


def servicer_stub(store: Store, deps: Deps) -> Iterator[petition_pb2_grpc.PetitionServiceStub]:
    servicer = PetitionServicer(store.sessions, deps, wake=store.wake)

    def register(server: grpc.Server) -> None:
        petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield petition_pb2_grpc.PetitionServiceStub(channel)


@pytest.fixture
def checked(store: Store) -> Iterator[petition_pb2_grpc.PetitionServiceStub]:
    """The service with the test taxonomy as its category source."""
    yield from servicer_stub(store, dataclasses.replace(store.deps, categories=CATEGORIES))


@pytest.fixture
def registry_away(store: Store) -> Iterator[petition_pb2_grpc.PetitionServiceStub]:
    """The service asking a grid-registry that does not answer (nothing listens on the port)."""
    channel = grpc.insecure_channel(f"127.0.0.1:{free_port()}")
    away = RegistryCategories(channel, ttl_seconds=60)
    try:
        yield from servicer_stub(store, dataclasses.replace(store.deps, categories=away))
    finally:
        channel.close()


def refused_naming(refused: pytest.ExceptionInfo[grpc.RpcError], field: str) -> str:
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
    assert status is not None
    details = error_details_pb2.BadRequest()
    status.details[0].Unpack(details)
    assert [v.field for v in details.field_violations] == [field]
    return str(details.field_violations[0].description)


def test_an_unknown_category_is_refused_naming_category_and_changes_nothing(
    client: FlaskClient, store: Store, checked: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = assigned_petition(client, store)
    before = history_length(checked, petition_id)
    changes = len(store.status_changes())

    with pytest.raises(grpc.RpcError) as refused:
        verify(checked, petition_id, "nyc.no_such_category")

    assert "nyc.no_such_category" in refused_naming(refused, "category")
    shown = checked.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=WORKER).petition
    assert shown.status == S.PETITION_STATUS_ASSIGNED
    assert shown.category != "nyc.no_such_category"
    assert history_length(checked, petition_id) == before
    assert len(store.status_changes()) == changes
    # A code of the taxonomy is taken, and the request id refused above was not used up.
    verified = verify(checked, petition_id, "nyc.noise_residential")
    assert verified.status == S.PETITION_STATUS_VERIFIED
    assert verified.category == "nyc.noise_residential"
    assert store.status_changes()[-1].category == "nyc.noise_residential"


def test_verifying_without_a_category_needs_no_taxonomy(
    client: FlaskClient, store: Store, registry_away: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = assigned_petition(client, store)
    request = S.VerifyPetitionRequest(request_id="v-plain", id=petition_id, note="seen on site")
    shown = registry_away.VerifyPetition(request, metadata=WORKER).petition
    assert shown.status == S.PETITION_STATUS_VERIFIED


def test_with_grid_registry_away_a_category_is_unavailable_never_stored_unchecked(
    client: FlaskClient, store: Store, registry_away: petition_pb2_grpc.PetitionServiceStub
) -> None:
    petition_id = assigned_petition(client, store)
    before = history_length(registry_away, petition_id)

    with pytest.raises(grpc.RpcError) as refused:
        verify(registry_away, petition_id, "nyc.noise_residential")

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "taxonomy" in (refused.value.details() or "")
    shown = registry_away.GetPetition(
        S.GetPetitionRequest(id=petition_id), metadata=WORKER
    ).petition
    assert shown.status == S.PETITION_STATUS_ASSIGNED
    assert history_length(registry_away, petition_id) == before
