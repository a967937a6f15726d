"""Pooled PostgreSQL connections are pinged only after sitting idle, and a dead idle one is
replaced before anyone uses it: the first request after a night's failover does not fail."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from gridplus.kit import db
from tests.support.postgres import create_database, drop_database

pytestmark = pytest.mark.integration

APP = "idle-ping-test"


@pytest.fixture
def engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Engine]]:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.3)
    name, url = create_database("gridplus_idle_ping")
    engine = db.create_database_engine(f"{url}?application_name={APP}", pool_size=1)
    admin = db.create_database_engine(url)
    yield engine, admin
    engine.dispose()
    admin.dispose()
    drop_database(name)


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_killed_while_idle_is_replaced_before_it_is_used(
    engines: tuple[Engine, Engine],
) -> None:
    engine, admin = engines
    first = backend_pid(engine)
    with admin.connect() as connection:
        killed = connection.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": first},
        ).scalar_one()
        connection.commit()
    assert killed == 1
    time.sleep(0.5)  # longer than the idle bound: the pool pings before handing it out
    second = backend_pid(engine)  # no OperationalError: the dead connection never reached us
    assert second != first


def test_a_connection_in_steady_use_is_not_pinged_before_each_transaction(
    engines: tuple[Engine, Engine],
) -> None:
    engine, _admin = engines
    backend_pid(engine)
    pings: list[int] = []
    original = engine.dialect.do_ping

    def counting_ping(dbapi_connection) -> bool:  # type: ignore[no-untyped-def]
        pings.append(1)
        return original(dbapi_connection)

    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    for _ in range(20):
        backend_pid(engine)
    assert pings == []
    time.sleep(0.5)
    backend_pid(engine)
    assert pings == [1]
