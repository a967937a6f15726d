"""Replicas that start at once migrate one PostgreSQL database one at a time: one migrates, the
others wait for the migration lock and then find the schema at head."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gridplus.kit.db import create_database_engine
from gridplus.kit.migrations import migrate, migration_lock, upgrade
from tests.support.eventually import eventually
from tests.support.postgres import create_database, drop_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PETITION = ROOT / "services/gridplus/petition/storage/alembic"


@pytest.fixture
def database() -> Iterator[str]:
    name, url = create_database("gridplus_migrate")
    yield url
    drop_database(name)


def versions(engine: Engine) -> tuple[str, str]:
    with engine.connect() as connection:
        kit = connection.execute(text("SELECT version_num FROM kit_alembic_version")).scalar_one()
        own = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return kit, own


def waiting_for_the_lock(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND NOT l.granted "
                    "AND d.datname = current_database()"
                )
            ).scalar_one()
        )


def test_replicas_starting_together_migrate_once(database: str) -> None:
    engines = [create_database_engine(database) for _ in range(4)]
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def replica(engine: Engine) -> None:
        start.wait()
        try:
            migrate(engine, PETITION)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(e,), daemon=True) for e in engines]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        for thread in threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "a migration hung"
        assert errors == []
        assert len({versions(engine) for engine in engines}) == 1
    finally:
        for engine in engines:
            engine.dispose()


def test_a_second_replica_waits_for_the_first_and_finds_the_schema_done(database: str) -> None:
    first, second = create_database_engine(database), create_database_engine(database)
    done = threading.Event()
    errors: list[BaseException] = []

    def late_replica() -> None:
        try:
            migrate(second, PETITION)
        except BaseException as exc:
            errors.append(exc)
        done.set()

    try:
        with migration_lock(first):  # the first replica is migrating
            thread = threading.Thread(target=late_replica, daemon=True)
            thread.start()
            eventually(lambda: waiting_for_the_lock(first) == 1, "the second replica waits")
            assert not done.is_set()
            upgrade(first, PETITION)  # what `migrate` does under the lock it holds
        thread.join(60)
        assert done.is_set() and errors == []
        assert versions(first) == versions(second)
    finally:
        first.dispose()
        second.dispose()
