"""The NYC demo city, parsed once per session, and a grid-registry database to import it into."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridplus.grid_registry.domain.demo_workers import DemoMember, demo_organisation, demo_places
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.handlers import imports
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.grid_registry.storage.geojson_files import load_nyc_demo
from gridplus.grid_registry.storage.seed_files import read_taxonomy
from gridplus.kit.clock import ManualClock, SystemClock
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.topology import events_topic
from tests.integration.grid_registry.registry import Running, database, running_registry
from tests.support.postgres import drop_database

NYC_DIR = Path(__file__).resolve().parents[3] / "data" / "demo" / "nyc"
IMPORTED_AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_specs() -> list[GridSpec]:
    return load_nyc_demo(NYC_DIR)


@pytest.fixture(scope="session")
def demo_members(demo_specs: list[GridSpec]) -> list[DemoMember]:
    return demo_organisation(demo_specs, departments=read_taxonomy().departments())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(IMPORTED_AT)


@pytest.fixture
def outbox(clock: ManualClock) -> Outbox:
    return Outbox(topic=events_topic("grid"), source="/gridplus/grid-registry", clock=clock)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    """A migrated grid-registry database, on SQLite and on PostgreSQL."""
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    yield create_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_specs: list[GridSpec],
    demo_members: list[DemoMember],
) -> Iterator[Running]:
    """The demo city imported and served by a real gRPC server, per module, on both databases."""
    url, pg_name = database(request.param, tmp_path_factory.mktemp("grpc"))
    engine = create_database_engine(url)
    migrate(engine, MIGRATIONS)
    sessions = create_session_factory(engine)
    outbox = Outbox(topic=events_topic("grid"), source="/test", clock=SystemClock())
    with transaction(sessions) as session:
        imports.import_grid_set(
            session,
            demo_specs,
            demo_members,
            places=demo_places(demo_specs),
            source="test",
            outbox=outbox,
            clock=SystemClock(),
        )
    try:
        with running_registry(sessions, poll_seconds=0.2) as running:
            yield running
    finally:
        engine.dispose()
        if pg_name:
            drop_database(pg_name)
