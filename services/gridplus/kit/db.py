"""SQLAlchemy engines and sessions: a SQLite file under var/ locally, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from gridplus.kit.clock import as_utc
from gridplus.kit.config import ConfigError

SessionFactory = sessionmaker[Session]

# A pooled PostgreSQL connection idle this long is pinged before it is handed out (a server
# restart, a failover or an idle timeout in between has closed it). One in steady use is not:
# pinging on every checkout was a round trip per transaction and 2-6% of each service's CPU
# (issue 13's PostgreSQL profile). A connection that dies while in use raises OperationalError,
# which consumers and the runner retry; SQLAlchemy then drops every connection of the pool that
# is older than the failure.
PING_AFTER_IDLE_SECONDS = 5.0


def create_database_engine(url: str, *, pool_size: int = 10) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with little context
        raise ConfigError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _ping_when_idle(
            create_engine(parsed, pool_size=pool_size, max_overflow=pool_size),
            PING_AFTER_IDLE_SECONDS,
        )
    raise ConfigError(f"database URL must be sqlite:/// or postgresql://, got {parsed.drivername}")


def _ping_when_idle(engine: Engine, idle_seconds: float) -> Engine:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own error for a closed connection
            raise DisconnectionError(f"pooled connection is gone: {exc!r}") from exc
        if not alive:
            # The pool discards it and hands out a fresh connection instead.
            raise DisconnectionError("pooled connection is gone")

    return engine


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # SQLite has one writer at a time. Threads of this process queue for it on a Python lock:
    # left to SQLite's busy handler they would sleep in growing steps (1, 2, 5 … 100 ms) while
    # the lock sits free, which under load costs far more than the work itself.
    writer = threading.RLock()
    connection_class = _writer_connection_class(writer)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30, "factory": connection_class},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails with SQLITE_BUSY when another
        # thread wrote in between; taking the write lock up front makes writers queue instead.
        writer.acquire()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer.release()
            raise
        connection.connection.dbapi_connection.holds_writer = True

    return engine


def _writer_connection_class(writer: threading.RLock) -> type[sqlite3.Connection]:
    class WriterConnection(sqlite3.Connection):
        """Gives the process's write lock back once COMMIT or ROLLBACK has run. SQLAlchemy's
        commit and rollback events fire before them: a lock given back there let the next
        writer's BEGIN IMMEDIATE meet SQLite's own lock and sleep in its busy handler (8
        threads writing at once: 1,349 of 2,400 transactions did, with the handler off)."""

        holds_writer = False

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._give_back()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._give_back()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._give_back()

        def _give_back(self) -> None:
            if self.holds_writer:
                self.holds_writer = False
                writer.release()

    return WriterConnection


def create_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with sessions() as session, session.begin():
        yield session


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT of `table` that can say ON CONFLICT (DO NOTHING / DO UPDATE) on PostgreSQL and
    on SQLite alike, so a consumer applies a redelivered fact once without a read first."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


_AFTER_COMMIT = "gridplus.kit.db.after_commit"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction has committed (never on rollback): metrics
    and wake-ups must not count work that did not happen.

    A transaction's actions share one listener (a consumer batch of 200 events registered
    hundreds, and a listener costs more than a count). A listener outlives a rollback waiting
    for a commit, so the actions run only if the committing transaction is theirs."""
    transaction = session.get_transaction()
    if transaction is None:  # nothing begun yet: the next transaction's commit runs it
        event.listen(session, "after_commit", lambda _session: action(), once=True)
        return
    held = session.info.get(_AFTER_COMMIT)
    if held is not None and held[0] is transaction:
        held[1].append(action)
        return
    actions = [action]
    session.info[_AFTER_COMMIT] = (transaction, actions)

    def run(_session: Session) -> None:
        _run_if_committed(session, transaction, actions)

    event.listen(session, "after_commit", run, once=True)


def _run_if_committed(
    session: Session, transaction: object, actions: list[Callable[[], None]]
) -> None:
    if session.get_transaction() is not transaction:
        return  # registered in a transaction that rolled back
    for action in actions:
        action()


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware column that reads back aware UTC on SQLite too (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)
