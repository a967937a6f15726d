"""Open311 services come from grid-registry's taxonomy over gRPC (the real grid-registry
servicer and its seeded migration), cached; when grid-registry is away the cached copy is
served, and with none yet the answer is a clear 503, never an empty list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME, GridRegistryServicer
from gridplus.grid_registry.handlers.snapshots import grid_sets
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.kit.auth import ServiceToken
from gridplus.kit.errors import TransientError
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.grpc_server import GrpcServer
from gridplus.petition.api.http import create_app
from gridplus.petition.clients import RegistryCategories
from tests.integration.petition.conftest import JWT, Store
from tests.support.grpc import start_server
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[GrpcServer]:
    with migrated_store(f"sqlite:///{tmp_path}/registry.db", MIGRATIONS) as store:
        servicer = GridRegistryServicer(grid_sets(store.sessions), store.sessions)

        def register(server: grpc.Server) -> None:
            grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(servicer, server)

        server = start_server(register, SERVICE_NAME, POLICY, jwt=JWT)
        yield server
        server.stop(0).wait(5)


def test_services_are_the_registry_taxonomy_cached_through_an_outage(
    registry: GrpcServer, store: Store
) -> None:
    channel = service_channel(f"127.0.0.1:{registry.port}", ServiceToken(JWT, "petition"))
    source = RegistryCategories(channel, ttl_seconds=0)  # ask every time while it answers
    client = create_app(
        sessions=store.sessions, deps=store.deps, jwt=JWT, categories=source
    ).test_client()

    services = client.get("/open311/v2/services.json").get_json()
    codes = {s["service_code"] for s in services}
    assert len(services) == 758
    assert {"nyc.noise_residential", "environmental_protection"} <= codes
    noise = next(s for s in services if s["service_code"] == "nyc.noise_residential")
    assert noise["service_name"] and noise["group"]

    registry.stop(0).wait(5)
    assert len(client.get("/open311/v2/services.json").get_json()) == 758  # the cached copy

    cold = RegistryCategories(channel, ttl_seconds=0)
    with pytest.raises(TransientError, match="grid-registry"):
        cold.categories()
    answer = (
        create_app(sessions=store.sessions, deps=store.deps, jwt=JWT, categories=cold)
        .test_client()
        .get("/open311/v2/services.xml")
    )
    assert answer.status_code == 503
    assert b"<errors><error><code>503</code>" in answer.get_data()
    channel.close()
