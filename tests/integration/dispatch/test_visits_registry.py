"""Visits against the real grid registry (issue 16): grid-registry's own servicers (the NYC demo
city, its HouseholdService) behind a real gRPC server. A household registered there reaches
dispatch as grid-registry wrote its HouseholdChanged (read from its outbox, applied by dispatch's
handler); a visit at Times Square is inside MN0502 and recorded, one in the Financial District
is refused naming `location` with grid-registry's distance and nothing is stored. Dispatch on
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2_grpc, households_pb2, households_pb2_grpc
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.domain.visits import Visit
from gridplus.dispatch.handlers.households import HouseholdReplica
from gridplus.dispatch.handlers.visits import VisitInput, VisitRecorder
from gridplus.dispatch.messaging.consumers import household_handler
from gridplus.dispatch.storage.models import VisitRow
from gridplus.grid_registry.api import households as household_api
from gridplus.grid_registry.api.grpc import POLICY, GridRegistryServicer
from gridplus.grid_registry.config import DEFAULT_CARE_GROUPS
from gridplus.grid_registry.domain.demo_workers import demo_organisation, demo_places
from gridplus.grid_registry.handlers import imports
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import grid_sets
from gridplus.grid_registry.storage import MIGRATIONS as REGISTRY_MIGRATIONS
from gridplus.grid_registry.storage.geojson_files import load_nyc_demo
from gridplus.grid_registry.storage.households import Sealing
from gridplus.grid_registry.storage.seed_files import read_care_groups, read_taxonomy
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.clock import ManualClock
from gridplus.kit.consumer import Prepared
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.events import Event, parse_payload
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing
from gridplus.kit.roles import Principal
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from tests.integration.dispatch.api_harness import JWT, MIGRATIONS, TOPIC, auth
from tests.integration.dispatch.visits_harness import T0
from tests.support.grpc import start_server
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

NYC_DIR = Path(__file__).resolve().parents[3] / "data" / "demo" / "nyc"
TIMES_SQUARE = (40.758, -73.9855)  # in MN0502
FINANCIAL_DISTRICT = (40.7075, -74.0113)  # in MN0101, kilometres south
WORKER = auth(Role.GRID_WORKER, "w-MN0502-1", ("MN0502",))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SessionFactory]]:
    """grid-registry's servicers on the demo city (SQLite): its address and session factory."""
    home = tmp_path_factory.mktemp("registry")
    engine = create_database_engine(f"sqlite:///{home}/grid_registry.db")
    migrate(engine, REGISTRY_MIGRATIONS)
    sessions = create_session_factory(engine)
    clock = ManualClock(T0)
    outbox = Outbox(topic=events_topic("grid"), source="/gridplus/grid-registry", clock=clock)
    specs = load_nyc_demo(NYC_DIR)
    people = demo_organisation(specs, departments=read_taxonomy().departments())
    with transaction(sessions) as session:
        imports.import_grid_set(
            session, specs, people, places=demo_places(specs), source="test", outbox=outbox,
            clock=clock,
        )  # fmt: skip
    current = grid_sets(sessions, poll_seconds=0.2)
    deps = HouseholdDeps(
        sealing=Sealing(KeyRing([("k1", os.urandom(32))]), os.urandom(32)),
        care_groups=read_care_groups(DEFAULT_CARE_GROUPS),
        outbox=outbox,
        clock=clock,
    )
    grids = GridRegistryServicer(current, sessions)
    households = household_api.HouseholdServicer(current, sessions, deps)

    def register(server: grpc.Server) -> None:
        grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(grids, server)
        households_pb2_grpc.add_HouseholdServiceServicer_to_server(households, server)

    server = start_server(
        register, household_api.SERVICE_NAME, {**POLICY, **household_api.POLICY}, jwt=JWT
    )
    stop = threading.Event()
    loop = threading.Thread(target=current.run, args=(stop,), daemon=True)
    loop.start()
    try:
        yield f"127.0.0.1:{server.port}", sessions
    finally:
        stop.set()
        loop.join(5)
        server.stop(0).wait(5)
        engine.dispose()


def household_changed(
    registry_sessions: SessionFactory, household_id: str
) -> events_pb2.HouseholdChanged:
    with transaction(registry_sessions) as session:
        row = session.execute(
            select(outbox_messages.c.ce_type, outbox_messages.c.payload)
            .where(outbox_messages.c.key == household_id)
            .order_by(outbox_messages.c.id.desc())
        ).first()
    assert row is not None
    payload = parse_payload(row.ce_type, row.payload)
    assert isinstance(payload, events_pb2.HouseholdChanged)
    return payload


def test_a_visit_is_checked_against_the_real_grid_of_a_registered_household(
    registry: tuple[str, SessionFactory], database_url: str
) -> None:
    address, registry_sessions = registry
    with grpc.insecure_channel(address) as plain:
        registered = (
            households_pb2_grpc.HouseholdServiceStub(plain)
            .RegisterHousehold(
                households_pb2.RegisterHouseholdRequest(
                    household=households_pb2.Household(
                        place_code="MN0502-B1-U2",
                        address="Manhattan, 1 Times Square",
                        unit="5-1",
                        members=[
                            households_pb2.HouseholdMember(
                                name="王秀英", birth_year=1940, care_groups=["ELDERLY_ALONE"]
                            )
                        ],
                    )
                ),
                metadata=WORKER,
                timeout=10,
            )
            .household
        )
    changed = household_changed(registry_sessions, registered.household_id)
    [member] = changed.care_members
    assert changed.grid_code == "MN0502" and member.visit_interval_days == 7

    channel = service_channel(address, ServiceToken(JWT, "dispatch"))
    try:
        directory = GrpcGridDirectory(channel, timeout=10.0)
        _, handler = household_handler(HouseholdReplica(), directory)
        assert isinstance(handler, Prepared)
        clock = ManualClock(T0)
        outbox = Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=clock)
        recorder = VisitRecorder(directory=directory, outbox=outbox, clock=clock)
        with migrated_store(database_url, MIGRATIONS) as store:
            event = Event.create(changed, key=changed.household_id, source="/gridplus/grid",
                                 time=clock.now())  # fmt: skip
            grid = handler.prepare(event)
            with transaction(store.sessions) as session:
                handler.apply(session, event, grid)
            assert grid is not None and grid.path == ("1", "MN05", "MN0502")

            visit = record(recorder, store.sessions, registered.household_id, TIMES_SQUARE)
            assert visit.distance_meters == 0 and visit.care_member_ids == (member.member_id,)

            with pytest.raises(InvalidArgument) as refused:
                record(recorder, store.sessions, registered.household_id, FINANCIAL_DISTRICT)
            [violation] = refused.value.violations
            assert violation.field == "location" and "outside grid MN0502" in violation.description
            metres = int(violation.description.split()[1])
            assert 3_000 < metres < 8_000
            with transaction(store.sessions) as session:
                assert len(session.scalars(select(VisitRow)).all()) == 1
    finally:
        channel.close()


def record(
    recorder: VisitRecorder, sessions: SessionFactory, household_id: str, point: tuple[float, float]
) -> Visit:
    worker = Principal("w-MN0502-1", Role.GRID_WORKER, ("MN0502",))
    given = VisitInput(household_id, None, point, "", [], [])
    with transaction(sessions) as session:
        checked = recorder.check(session, worker, given)
    checked = recorder.measure(checked)
    with transaction(sessions) as session:
        return recorder.record(session, checked)
