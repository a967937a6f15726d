"""The whole platform as real processes: broker, five services on SQLite, the staff console,
the demo city."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ports import free_port
from tools.stack import ROUTE_EVERYTHING, START_ORDER, LocalStack, Ports


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    ports = Ports(
        grpc={package: free_port() for package in START_ORDER},
        metrics={package: free_port() for package in START_ORDER},
        http=free_port(),
        broker=free_port(),
        webhook_receiver=free_port(),
        console=free_port(),
    )
    # nyc.sewer (DEP's) turns red 2 s after assignment, so a department client has overdue
    # petitions to list (tests/e2e/test_example_clients.py); no other shared-stack test uses it.
    extra_env = {**ROUTE_EVERYTHING, "GRIDPLUS_DISPATCH_SLA_OVERRIDE": "nyc.sewer=2:3600"}
    running = LocalStack(tmp_path_factory.mktemp("stack"), ports, extra_env)
    running.start(timeout=90, console=True)
    yield running
    running.stop()
