"""SQLite's one writer: threads of a service queue on the process's write lock, which is given
back only once COMMIT or ROLLBACK has run, so no writer ever meets SQLite's own lock (and the
busy handler's 1-100 ms sleeps). SQLite's busy handler is switched off here, so a writer let in
too early fails at once with "database is locked" instead of sleeping unseen."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from gridplus.kit.db import create_database_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_database_engine(f"sqlite:///{tmp_path}/writers.db")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    return engine


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM notes")).scalar_one())


def test_eight_threads_writing_at_once_never_meet_sqlite_s_lock(engine: Engine) -> None:
    errors: list[str] = []

    def write() -> None:
        for _ in range(200):
            try:
                with engine.begin() as connection:
                    connection.exec_driver_sql("INSERT INTO notes (body) VALUES ('x')")
            except Exception as exc:  # "database is locked" when let in before the COMMIT
                errors.append(repr(exc))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert _count(engine) == 1600


def test_a_rolled_back_transaction_lets_the_next_writer_in(engine: Engine) -> None:
    with pytest.raises(ZeroDivisionError), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO notes (body) VALUES ('lost')")
        _ = 1 / 0

    done = threading.Event()

    def other_thread_writes() -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO notes (body) VALUES ('kept')")
        done.set()

    threading.Thread(target=other_thread_writes, daemon=True).start()

    assert done.wait(5), "the write lock was not given back after the rollback"
    assert _count(engine) == 1


def test_a_connection_closed_mid_transaction_gives_the_lock_back(engine: Engine) -> None:
    connection = engine.connect()
    connection.begin()
    connection.exec_driver_sql("INSERT INTO notes (body) VALUES ('never committed')")
    connection.invalidate()  # the pool closes the driver's connection without a ROLLBACK

    done = threading.Event()

    def other_thread_writes() -> None:
        with engine.begin() as other:
            other.exec_driver_sql("INSERT INTO notes (body) VALUES ('kept')")
        done.set()

    threading.Thread(target=other_thread_writes, daemon=True).start()

    assert done.wait(5), "the write lock stayed with a closed connection"
    assert _count(engine) == 1
