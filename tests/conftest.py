"""Fixtures shared by every test tier: the real broker, databases, test credentials."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.support.broker import Broker
from tests.support.postgres import create_database, drop_database

ROOT = Path(__file__).resolve().parents[1]
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


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Units of work for `pytest -n N` (make test): a file runs on one worker, so its module
    fixtures start once; the e2e files on the session-wide stack form one unit, so only one
    worker starts the whole platform. (xdist's `loadgroup` marks do not survive pytest 9's ids.)"""
    from xdist.scheduler import LoadScopeScheduling

    class FileOrSharedStack(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "e2e-stack" if _uses_the_shared_stack(path) else path

    return FileOrSharedStack(config, log)


@cache
def _uses_the_shared_stack(path: str) -> bool:
    """An e2e file that takes the session's `stack` and does not start a platform of its own."""
    if not path.startswith("tests/e2e/test_"):
        return False
    source = (ROOT / path).read_text()
    return "stack: LocalStack" in source and "def stack(" not in source
