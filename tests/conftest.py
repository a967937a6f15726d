"""Fixtures shared by every test tier: the real broker, databases, test credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import Broker
from tests.support.postgres import create_database, drop_database

JWT_SECRET = "test-secret-test-secret-test-secret-0123456789"


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A real Kafka-protocol broker on a free port, for the whole test session."""
    running = Broker(tmp_path_factory.mktemp("broker")).start()
    yield running
    running.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes this runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    name, url = create_database("gridplus_test")
    yield url
    drop_database(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Units of work for `pytest -n N --dist loadgroup` (make test): a file runs on one worker, so
    its module fixtures start once; every e2e test on the session-wide stack shares one group, so
    only one worker starts the whole platform."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        module = getattr(item, "module", None)
        shares_stack = (
            path.startswith("tests/e2e/")
            and "stack" in getattr(item, "fixturenames", ())
            and not hasattr(module, "stack")  # a module with a stack of its own runs apart
        )
        item.add_marker(pytest.mark.xdist_group("e2e-stack" if shares_stack else path))
