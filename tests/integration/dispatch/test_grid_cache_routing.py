"""Routing through dispatch's per-version cache of grid-registry's answers, over real gRPC: the
same placements as asking grid-registry for every petition, far fewer calls, a GridSetImported
consumed by dispatch's handlers drops the old version, and past the bound an unreachable
registry makes the event wait as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest
import shapely

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.time_limits import TimePolicy
from gridplus.dispatch.handlers.grid_cache import CachedGridDirectory
from gridplus.dispatch.handlers.households import HouseholdReplica
from gridplus.dispatch.handlers.routing import PetitionRouter, PetitionToRoute, Placement
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.errors import NotFound
from gridplus.kit.events import Event
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.grpc_server import GrpcServer
from gridplus.kit.interceptors import service_policy
from gridplus.kit.outbox import Outbox
from tests.conftest import JWT_SECRET
from tests.integration.dispatch.grid_registry_stub import (
    OUTSIDE,
    SQUARES,
    Square,
    SquareGridsServicer,
)
from tests.support.grpc import start_server

pytestmark = pytest.mark.integration

JWT = JwtSettings(JWT_SECRET, "gridplus")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NAME = grid_pb2.DESCRIPTOR.services_by_name["GridRegistryService"].full_name
METHODS = (
    "LocateGrid",
    "ListMembers",
    "ListCategories",
    "ListGridBoundaries",
    "ResolveResponsibility",  # not served by the stub: no department
)


class VersionedSquares(SquareGridsServicer):
    """The stub's squares as grid-registry serves them: located by its rule (an outline covers
    its border; on a shared border the smallest code) and with outlines, at `version`."""

    def __init__(self) -> None:
        super().__init__()
        self.version = 1

    def _covering(self, lat: float, lon: float) -> Square | None:
        found = [s for s in SQUARES if shapely.covers(outline(s), shapely.Point(lon, lat))]
        return min(found, key=lambda s: s.code) if found else None

    def LocateGrid(
        self, request: grid_pb2.LocateGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.LocateGridResponse:
        self.calls.append("LocateGrid")
        found = self._covering(request.lat, request.lon)
        if found is None:
            raise NotFound(f"({request.lat}, {request.lon}) lies in no grid")
        ref = common_pb2.GridRef(
            code=found.code, level=3, path=found.path, grid_set_version=self.version
        )
        return grid_pb2.LocateGridResponse(grid=ref)

    def ListGridBoundaries(
        self, request: grid_pb2.ListGridBoundariesRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListGridBoundariesResponse:
        self.calls.append("ListGridBoundaries")
        return grid_pb2.ListGridBoundariesResponse(
            boundaries=[
                grid_pb2.GridBoundary(
                    grid=grid_pb2.Grid(
                        code=s.code, level=3, path=s.path, grid_set_version=self.version
                    ),
                    geojson=json.dumps(shapely.geometry.mapping(outline(s))),
                )
                for s in SQUARES
            ],
            grid_set_version=self.version,
        )


def outline(square: Square) -> shapely.Polygon:
    return shapely.box(
        square.west, square.south, square.west + square.size, square.south + square.size
    )


@dataclass
class Registry:
    servicer: VersionedSquares
    server: GrpcServer
    channel: grpc.Channel

    def calls(self, name: str) -> int:
        return self.servicer.calls.count(name)


@pytest.fixture
def registry() -> Iterator[Registry]:
    servicer = VersionedSquares()
    server = start_server(
        lambda s: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(servicer, s),
        NAME,
        service_policy(NAME, {m: frozenset({Role.SERVICE}) for m in METHODS}),
        jwt=JWT,
    )
    channel = service_channel(f"127.0.0.1:{server.port}", ServiceToken(JWT, "dispatch"))
    yield Registry(servicer, server, channel)
    channel.close()
    server.stop(0).wait(5)


def frozen_time() -> float:
    """Time that does not pass: the confirmation bound is not what these tests are about (on a
    loaded machine two rounds of placements may take longer than it)."""
    return 0.0


def router(directory: GrpcGridDirectory | CachedGridDirectory) -> PetitionRouter:
    clock = ManualClock(T0)
    return PetitionRouter(
        directory=directory,
        outbox=Outbox(topic="t", source="/gridplus/dispatch", clock=clock),
        clock=clock,
        policy=TimePolicy(BusinessCalendar(), {}),
    )


def points() -> list[tuple[float, float]]:
    """Centres, corners and edge midpoints of every square (shared borders among them), then a
    point in no grid."""
    found = [
        (s.south + dlat * s.size, s.west + dlon * s.size)
        for s in SQUARES
        for dlat in (0.5, 0.0, 1.0)
        for dlon in (0.5, 0.0, 1.0)
    ]
    return [*found, OUTSIDE]


def placements(route: PetitionRouter) -> list[Placement]:
    return [
        route.place(PetitionToRoute(f"p-{n}", "t", "d", "nyc.illegal_parking", point))
        for n, point in enumerate(points())
    ]


def test_the_cache_places_every_petition_as_asking_each_time_does(registry: Registry) -> None:
    plain = placements(router(GrpcGridDirectory(registry.channel)))
    asked = registry.calls("LocateGrid")
    assert asked == len(points())
    cached = CachedGridDirectory(GrpcGridDirectory(registry.channel), monotonic=frozen_time)
    assert placements(router(cached)) == plain
    again = placements(router(cached))
    assert again == plain
    # One LocateGrid confirmed the version; its outlines once; each grid's members once.
    assert registry.calls("LocateGrid") - asked == 1
    assert registry.calls("ListGridBoundaries") == 1
    assert {p.grid.code for p in plain if p.grid} == {s.code for s in SQUARES}


def test_a_grid_set_event_makes_dispatch_ask_for_the_new_version(registry: Registry) -> None:
    directory = CachedGridDirectory(GrpcGridDirectory(registry.channel), monotonic=frozen_time)
    route = router(directory)
    table = handlers(route, households=(HouseholdReplica(), directory))
    point = SQUARES[0].centre()
    first = route.place(PetitionToRoute("p-1", "t", "d", "nyc.illegal_parking", point))
    assert first.grid is not None and first.grid.grid_set_version == 1
    registry.servicer.version = 2
    imported = events_pb2.GridSetImported(grid_set_version=2, grid_count=4)
    event = Event.create(imported, key="grid-set", source="/gridplus/grid-registry", time=T0)
    table[event.type](None, event)  # type: ignore[operator, arg-type]
    asked = registry.calls("LocateGrid")
    second = route.place(PetitionToRoute("p-2", "t", "d", "nyc.illegal_parking", point))
    assert second.grid is not None and second.grid.grid_set_version == 2
    assert registry.calls("LocateGrid") == asked + 1
    assert registry.calls("ListGridBoundaries") == 2  # version 2's outlines
    third = route.place(PetitionToRoute("p-3", "t", "d", "nyc.illegal_parking", point))
    assert third.grid == second.grid and registry.calls("LocateGrid") == asked + 1


def test_past_the_bound_an_unreachable_registry_makes_routing_wait(registry: Registry) -> None:
    now = [0.0]
    directory = CachedGridDirectory(
        GrpcGridDirectory(registry.channel, timeout=2.0), monotonic=lambda: now[0]
    )
    route = router(directory)
    petition = PetitionToRoute("p-1", "t", "d", "nyc.illegal_parking", SQUARES[0].centre())
    assert route.place(petition).grid is not None
    registry.server.stop(0).wait(5)
    assert route.place(petition).grid is not None  # within the bound: the version held
    now[0] += 5.0
    with pytest.raises(grpc.RpcError):  # the consumer retries the event, as without the cache
        route.place(petition)
