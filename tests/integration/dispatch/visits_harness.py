"""VisitService over real gRPC with JWT auth on a migrated SQLite or PostgreSQL store, with a
grid registry behind real gRPC (the squares of `grid_registry_stub`, plus GetGrid and
MeasureDistanceToGrid measured on those squares), the household replica fed through dispatch's
own HouseholdChanged handler, and the care-clock scanner on a manual clock."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from PIL import ExifTags, Image
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import visits_pb2, visits_pb2_grpc
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.dispatch.api.visits import VISIT_POLICY, VISIT_SERVICE_NAME, VisitServicer
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.handlers.households import HouseholdReplica
from gridplus.dispatch.handlers.visits import VisitRecorder
from gridplus.dispatch.jobs.care_clocks import CareClockScanner
from gridplus.dispatch.messaging.consumers import household_handler
from gridplus.dispatch.metrics import CareBoard
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.clock import ManualClock
from gridplus.kit.consumer import Prepared
from gridplus.kit.db import transaction
from gridplus.kit.errors import NotFound
from gridplus.kit.events import Event, parse_payload
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.grpc_server import GrpcServer
from gridplus.kit.interceptors import service_policy
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from tests.integration.dispatch.api_harness import JWT, MIGRATIONS, TOPIC, auth
from tests.integration.dispatch.grid_registry_stub import (
    GRID_SET_VERSION,
    PARENTS,
    SQUARES,
    SquareGridsServicer,
    square,
)
from tests.support.grpc import serving, start_server
from tests.support.store import migrated_store

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
METRES_PER_DEGREE = 111_320.0
WORKER = auth(Role.GRID_WORKER, "w-MN0502-1", ("MN0502",))
OTHER_WORKER = auth(Role.GRID_WORKER, "w-BK0602-1", ("BK0602",))
COLLEAGUE = auth(Role.GRID_WORKER, "w-MN0502-2", ("MN0502",))
CHIEF = auth(Role.GRID_CHIEF, "c-MN05", ("MN05",))
OTHER_CHIEF = auth(Role.GRID_CHIEF, "c-BK06", ("BK06",))
ADMIN = auth(Role.ADMIN, "admin-1")
INSPECTOR = auth(Role.INSPECTOR, "inspector-1")


def metres_outside(code: str, metres: float) -> tuple[float, float]:
    """A point `metres` north of the square's northern edge, on its middle meridian."""
    found = square(code)
    return found.south + found.size + metres / METRES_PER_DEGREE, found.centre()[1]


def gps_jpeg() -> bytes:
    """A JPEG carrying camera and GPS EXIF, as a phone writes it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (40.0, 42.0, 26.0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 200, 30)).save(out, "JPEG", exif=exif)
    return out.getvalue()


class MeasuringGridsServicer(SquareGridsServicer):
    """The squares, with GetGrid and MeasureDistanceToGrid as grid-registry serves them."""

    def GetGrid(
        self, request: grid_pb2.GetGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetGridResponse:
        self.calls.append("GetGrid")
        found = [s for s in SQUARES if s.code == request.code]
        if found:
            path = found[0].path
        elif request.code in PARENTS:
            level1 = next(s.path[0] for s in SQUARES if s.path[1] == request.code)
            path = (level1, request.code)
        else:
            raise NotFound(f"no grid {request.code}")
        grid = grid_pb2.Grid(
            code=request.code, level=len(path), path=path, grid_set_version=GRID_SET_VERSION
        )
        return grid_pb2.GetGridResponse(grid=grid)

    def MeasureDistanceToGrid(
        self, request: grid_pb2.MeasureDistanceToGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.MeasureDistanceToGridResponse:
        self.calls.append("MeasureDistanceToGrid")
        found = [s for s in SQUARES if s.code == request.grid_code]
        if not found:
            raise NotFound(f"no grid {request.grid_code}")
        box = found[0]
        north, east = box.south + box.size, box.west + box.size
        dy = max(box.south - request.lat, 0.0, request.lat - north) * METRES_PER_DEGREE
        dx = max(box.west - request.lon, 0.0, request.lon - east) * METRES_PER_DEGREE
        dx *= math.cos(math.radians(request.lat))
        distance = math.hypot(dx, dy)
        return grid_pb2.MeasureDistanceToGridResponse(
            inside=distance == 0, distance_meters=distance, grid_set_version=GRID_SET_VERSION
        )


METHODS = ("LocateGrid", "ListMembers", "ListCategories", "GetGrid", "MeasureDistanceToGrid",
           "ResolveResponsibility", "GetChain", "ListDepartments")  # fmt: skip


def start_registry() -> tuple[GrpcServer, MeasuringGridsServicer]:
    servicer = MeasuringGridsServicer()
    name = grid_pb2.DESCRIPTOR.services_by_name["GridRegistryService"].full_name
    server = start_server(
        lambda s: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(servicer, s),
        name,
        service_policy(name, {m: frozenset({Role.SERVICE}) for m in METHODS}),
        jwt=JWT,
    )
    return server, servicer


@dataclass
class Visits:
    stub: visits_pb2_grpc.VisitServiceStub
    sessions: sessionmaker
    clock: ManualClock
    directory: GrpcGridDirectory
    registry: MeasuringGridsServicer
    scanner: CareClockScanner
    board: CareBoard
    handler: Prepared = field(repr=False)

    def household(
        self,
        household_id: str,
        grid_code: str,
        members: tuple[tuple[str, tuple[str, ...], int], ...] = (),
        *,
        version: int = 1,
        removed: bool = False,
    ) -> None:
        """HouseholdChanged as grid-registry publishes it, through dispatch's handler."""
        payload = events_pb2.HouseholdChanged(
            household_id=household_id,
            grid_code=grid_code,
            place_code=f"{grid_code}-B1-U1",
            care_members=[
                events_pb2.CareMemberRef(member_id=m, care_groups=g, visit_interval_days=d)
                for m, g, d in members
            ],
            member_count=max(1, len(members)),
            removed=removed,
            version=version,
        )
        payload.changed_at.FromDatetime(self.clock.now())
        event = Event.create(payload, key=household_id, source="/gridplus/grid_registry",
                             time=self.clock.now())  # fmt: skip
        prepared = self.handler.prepare(event)
        with transaction(self.sessions) as session:
            self.handler.apply(session, event, prepared)

    def record(
        self,
        metadata: list[tuple[str, str]] = WORKER,
        *,
        household_id: str = "hh-1",
        point: tuple[float, float] | None = None,
        request_id: str = "",
        **fields: Any,
    ) -> visits_pb2.Visit:
        lat, lon = point or square("MN0502").centre()
        request = visits_pb2.RecordVisitRequest(
            request_id=request_id,
            household_id=household_id,
            location=common_pb2.GeoPoint(lat=lat, lon=lon),
            **fields,
        )
        return self.stub.RecordVisit(request, metadata=metadata, timeout=10).visit

    def published(self, kind: type | None = None) -> list[tuple[str, Any]]:
        with transaction(self.sessions) as session:
            rows = session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).all()
        found = [(row.key, parse_payload(row.ce_type, row.payload)) for row in rows]
        return [(k, p) for k, p in found if kind is None or isinstance(p, kind)]

    def count(self, table: Any) -> int:
        with transaction(self.sessions) as session:
            return int(session.scalar(select(func.count()).select_from(table)) or 0)


@contextmanager
def visit_api(
    database_url: str, *, tolerance: float = 100.0, overrides: dict[str, int] | None = None
) -> Iterator[Visits]:
    clock = ManualClock(T0)
    server, registry = start_registry()
    channel = service_channel(f"127.0.0.1:{server.port}", ServiceToken(JWT, "dispatch"))
    directory = GrpcGridDirectory(channel, timeout=5.0)
    outbox = Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=clock)
    recorder = VisitRecorder(
        directory=directory, outbox=outbox, clock=clock, tolerance_meters=tolerance
    )
    _, handler = household_handler(HouseholdReplica(overrides=overrides), directory)
    assert isinstance(handler, Prepared)
    try:
        with migrated_store(database_url, MIGRATIONS) as store:
            servicer = VisitServicer(store.sessions, recorder=recorder)
            board = CareBoard()
            scanner = CareClockScanner(
                sessions=store.sessions, outbox=outbox, clock=clock, board=board
            )

            def register(grpc_server: grpc.Server) -> None:
                visits_pb2_grpc.add_VisitServiceServicer_to_server(servicer, grpc_server)

            with serving(register, VISIT_SERVICE_NAME, VISIT_POLICY, jwt=JWT) as api:
                yield Visits(
                    visits_pb2_grpc.VisitServiceStub(api),
                    store.sessions,
                    clock,
                    directory,
                    registry,
                    scanner,
                    board,
                    handler,
                )
    finally:
        channel.close()
        server.stop(0).wait(5)
