"""One taxonomy (issue 12): dispatch's time limits, priorities and business calendar come from
grid-registry alone. A real grid-registry process (seeded by its own migrations) serves the
taxonomy to dispatch's gRPC client; a petition in `discipline_inspection` and one in
`nyc.heating` get exactly the limits of the registry's seed (`grid_registry/seed/categories.csv`),
where dispatch's old built-in copy said NORMAL and HIGH."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
import pytest

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.domain.categories import Category, Priority
from gridplus.dispatch.handlers.clocks import ClockKeeper
from gridplus.dispatch.storage import assignments
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import transaction
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.outbox import Outbox
from tests.conftest import JWT_SECRET
from tests.integration.dispatch.api_harness import POLICY_, TOPIC, Api, auth, dispatch_api
from tests.integration.dispatch.grid_registry_stub import SEED, FakeGridDirectory
from tests.support.broker import Broker
from tests.support.eventually import eventually
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
JWT = JwtSettings(JWT_SECRET, "gridplus")
ADMIN = auth(Role.ADMIN, "admin-1")


@dataclass(frozen=True)
class SeedRow:
    priority: str
    verify_minutes: int
    handle_minutes: int
    business_calendar: bool


def seed_row(code: str) -> SeedRow:
    with SEED.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        row = next(r for r in rows if r["code"] == code)
    return SeedRow(
        row["priority"],
        int(row["verify_sla_minutes"]),
        int(row["handle_sla_minutes"]),
        row["business_calendar"] == "true",
    )


@pytest.fixture(scope="module")
def registry(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real grid-registry process on a fresh SQLite file: its address."""
    var = tmp_path_factory.mktemp("grid_registry")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "services"),
        "GRIDPLUS_VAR_DIR": str(var),
        "GRIDPLUS_GRID_REGISTRY_DATABASE_URL": f"sqlite:///{var}/grid_registry.db",
        "GRIDPLUS_GRID_REGISTRY_GRPC_PORT": str(port),
        "GRIDPLUS_GRID_REGISTRY_METRICS_PORT": str(free_port()),
        "GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "GRIDPLUS_JWT_SECRET": JWT_SECRET,
        "GRIDPLUS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gridplus.grid_registry", "serve"], env=env, cwd=var
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


class RegistryTaxonomy(FakeGridDirectory):
    """The test's squares and people, the real grid-registry's taxonomy (through dispatch's own
    client)."""

    def __init__(self, client: GrpcGridDirectory) -> None:
        self._client = client

    def category(self, code: str) -> Category | None:
        return self._client.category(code)

    def top_level_named(self, name_zh: str) -> Category | None:
        return self._client.top_level_named(name_zh)


@pytest.fixture
def api(registry: str, database_url: str) -> Iterator[tuple[Api, ClockKeeper]]:
    channel = service_channel(registry, ServiceToken(JWT, "dispatch"))
    try:
        client = GrpcGridDirectory(channel, cache_seconds=60)
        eventually(
            lambda: client.category("other"),
            "grid-registry serves its taxonomy",
            timeout=60,
            ignore=(grpc.RpcError,),
        )
        directory = RegistryTaxonomy(client)
        with dispatch_api(database_url, directory) as running:
            outbox = Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=running.clock)
            keeper = ClockKeeper(
                directory=directory, policy=POLICY_, clock=running.clock, outbox=outbox
            )
            yield running, keeper
    finally:
        channel.close()


def handle(api: Api, keeper: ClockKeeper, petition_id: str) -> None:
    """The petition was verified: the handle clock starts (as the consumer does it)."""
    with transaction(api.sessions) as session:
        routed = keeper.routed(session, petition_id=petition_id)
    assert routed is not None
    plan = keeper.plan_handling(routed=routed, category_code="")
    with transaction(api.sessions) as session:
        keeper.start_handling(
            session, petition_id=petition_id, plan=plan, at=api.clock.now(), why="verified"
        )


def limits(api: Api, petition_id: str) -> tuple[int, bool, str]:
    with transaction(api.sessions) as session:
        found = assignments.get(session, petition_id=petition_id)
    assert found is not None
    return found.clock.limit_seconds, found.clock.business, found.reasons[-1]


@pytest.mark.parametrize(
    ("code", "priority"),
    [("discipline_inspection", Priority.LOW), ("nyc.heating", Priority.URGENT)],
)
def test_a_petition_gets_the_limits_of_the_registry_seed(
    api: tuple[Api, ClockKeeper], code: str, priority: Priority
) -> None:
    running, keeper = api
    seed = seed_row(code)
    assert seed.priority == priority.name.lower()
    running.route("p-1", "MN0502", code)
    verify_seconds, business, why = limits(running, "p-1")
    assert (verify_seconds, business) == (seed.verify_minutes * 60, seed.business_calendar)
    assert f"for category {code} (priority {seed.priority})" in why
    shown = running.stub.GetAssignment(
        dispatch_pb2.GetAssignmentRequest(petition_id="p-1"), metadata=ADMIN, timeout=5
    ).assignment
    if not seed.business_calendar:
        assert shown.deadline.ToDatetime() == (
            running.clock.now() + timedelta(minutes=seed.verify_minutes)
        ).replace(tzinfo=None)

    running.clock.advance(timedelta(minutes=10))
    handle(running, keeper, "p-1")
    handle_seconds, business, why = limits(running, "p-1")
    assert (handle_seconds, business) == (seed.handle_minutes * 60, seed.business_calendar)
    assert why.startswith("verified: handle step deadline")
