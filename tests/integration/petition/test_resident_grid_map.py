"""The resident page's map comes from grid-registry over gRPC (the real servicer and its
ListGridBoundaries / LocateGrid, petition's service token): outlines cached per level and
served through an outage, a point outside the city answered as such, and a registry that was
never reached a clear 503 rather than an empty map."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from shapely.geometry import box

from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME, GridRegistryServicer
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.handlers import imports
from gridplus.grid_registry.handlers.snapshots import grid_sets
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.kit.auth import ServiceToken
from gridplus.kit.clock import SystemClock
from gridplus.kit.db import transaction
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.grpc_server import GrpcServer
from gridplus.kit.outbox import Outbox
from gridplus.kit.topology import events_topic
from gridplus.petition.api import resident_page
from gridplus.petition.api.http import create_app
from gridplus.petition.clients import RegistryGridMap
from tests.integration.petition.conftest import JWT, Store
from tests.support.grpc import start_server
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

# A square city of two halves, each one level-3 grid.
SPECS = [
    GridSpec("C", "Square City", 1, None, box(-74.0, 40.7, -73.9, 40.8)),
    GridSpec("C-W", "West", 2, "C", box(-74.0, 40.7, -73.95, 40.8)),
    GridSpec("C-E", "East", 2, "C", box(-73.95, 40.7, -73.9, 40.8)),
    GridSpec("C-W-1", "West 1", 3, "C-W", box(-74.0, 40.7, -73.95, 40.8)),
    GridSpec("C-E-1", "East 1", 3, "C-E", box(-73.95, 40.7, -73.9, 40.8)),
]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[GrpcServer]:
    with migrated_store(f"sqlite:///{tmp_path}/registry.db", MIGRATIONS) as store:
        outbox = Outbox(topic=events_topic("grid"), source="/test", clock=SystemClock())
        with transaction(store.sessions) as session:
            imports.import_grid_set(
                session, SPECS, [], source="test", outbox=outbox, clock=SystemClock()
            )
        servicer = GridRegistryServicer(grid_sets(store.sessions), store.sessions)

        def register(server: grpc.Server) -> None:
            grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(servicer, server)

        server = start_server(register, SERVICE_NAME, POLICY, jwt=JWT)
        yield server
        server.stop(0).wait(5)


def test_the_map_is_grid_registrys_outlines_cached_through_an_outage(
    registry: GrpcServer, store: Store
) -> None:
    channel = service_channel(f"127.0.0.1:{registry.port}", ServiceToken(JWT, "petition"))
    grid_map = RegistryGridMap(channel, ttl_seconds=0)  # ask every time while it answers
    app = create_app(sessions=store.sessions, deps=store.deps, jwt=JWT)
    resident_page.configure(app, resident_page.ResidentPage(grid_map=grid_map))
    client = app.test_client()

    level_2 = client.get("/api/v1/map/grids?level=2").get_json(force=True)
    assert [(f["properties"]["code"], f["properties"]["level"]) for f in level_2["features"]] == [
        ("C-E", 2),
        ("C-W", 2),
    ]
    assert level_2["features"][0]["geometry"]["type"] == "Polygon"
    inside = client.get("/api/v1/map/locate?lat=40.75&lon=-73.92").get_json()
    assert inside == {"inside": True, "grid": "C-E-1", "names": ["Square City", "East", "C-E-1"]}
    outside = client.get("/api/v1/map/locate?lat=40.75&lon=-74.2").get_json()
    assert outside["inside"] is False

    registry.stop(0).wait(5)
    again = client.get("/api/v1/map/grids?level=2")
    assert again.status_code == 200 and json.loads(again.get_data()) == level_2  # cached copy
    assert client.get("/api/v1/map/locate?lat=40.75&lon=-73.92").status_code == 503

    cold = RegistryGridMap(channel, ttl_seconds=0)
    resident_page.configure(app, resident_page.ResidentPage(grid_map=cold))
    refused = client.get("/api/v1/map/grids?level=1")
    assert refused.status_code == 503
    assert "grid-registry" in refused.get_json()["detail"]
