"""The outbox's rows wait for the commit (kit.write_behind): a transaction's events go in one
executemany when it commits, in the order they were added; a rollback writes none, and a
savepoint that rolls back takes its own events with it. Rows deferred to be read back are
written before the session's next statement. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import registry

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages, processed_events
from gridplus.kit.write_behind import defer_insert, write_before_read, write_pending

pytestmark = pytest.mark.integration

OUTBOX = Outbox(
    topic="test.write-behind.events.v1",
    source="/gridplus/test",
    clock=ManualClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC)),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url)
    migrate(engine, None)
    yield engine
    engine.dispose()


def inserts(engine: Engine) -> list[bool]:
    """One entry per INSERT into the outbox the engine runs: whether it was an executemany."""
    seen: list[bool] = []

    def record(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        if statement.lstrip().startswith("INSERT INTO kit_outbox_messages"):
            seen.append(many)

    event.listen(engine, "before_cursor_execute", record)
    return seen


def keys_in_outbox(engine: Engine) -> list[str]:
    sessions = create_session_factory(engine)
    with transaction(sessions) as session:
        query = select(outbox_messages.c.key).order_by(outbox_messages.c.id)
        return list(session.execute(query).scalars())


def add(session: Any, key: str) -> str:
    return OUTBOX.add(session, events_pb2.PetitionMerged(petition_id=key), key=key)


def test_a_transactions_events_are_written_at_commit_in_one_statement_in_order(
    engine: Engine,
) -> None:
    seen = inserts(engine)
    sessions = create_session_factory(engine)
    keys = [f"p-{n:02d}" for n in range(30)]
    with transaction(sessions) as session:
        for key in keys:
            add(session, key)
        assert seen == []  # nothing yet: the rows wait for the commit

    assert seen == [True]
    assert keys_in_outbox(engine) == keys


def test_a_rollback_writes_none_and_the_next_transaction_starts_empty(engine: Engine) -> None:
    sessions = create_session_factory(engine)
    with sessions() as session:
        with pytest.raises(RuntimeError), session.begin():
            add(session, "p-gone")
            raise RuntimeError("the unit of work failed")
        with session.begin():
            add(session, "p-kept")

    assert keys_in_outbox(engine) == ["p-kept"]


def test_a_savepoint_that_rolls_back_takes_only_its_own_events(engine: Engine) -> None:
    sessions = create_session_factory(engine)
    with transaction(sessions) as session:
        add(session, "p-before")
        write_pending(session)  # a savepoint may not begin with rows pending
        with pytest.raises(RuntimeError), session.begin_nested():
            add(session, "p-in-the-savepoint")
            raise RuntimeError("the savepoint failed")
        with session.begin_nested():
            add(session, "p-in-a-kept-savepoint")
        add(session, "p-after")

    assert keys_in_outbox(engine) == ["p-before", "p-in-a-kept-savepoint", "p-after"]


def test_a_savepoint_begun_with_events_pending_is_refused_not_left_to_lose_them(
    engine: Engine,
) -> None:
    sessions = create_session_factory(engine)
    with pytest.raises(RuntimeError, match="call write_pending"), transaction(sessions) as session:
        add(session, "p-pending")
        with session.begin_nested():
            add(session, "p-in-the-savepoint")

    assert keys_in_outbox(engine) == []  # the whole unit of work rolled back


def test_rows_deferred_to_be_read_back_are_there_for_the_next_statement(engine: Engine) -> None:
    seen = inserts(engine)
    sessions = create_session_factory(engine)
    statement = insert(outbox_messages)
    with transaction(sessions) as session:
        add(session, "p-event")  # not read back: waits for the commit
        rows = [row_of(f"p-read-{n}") for n in range(3)]
        defer_insert(session, statement, rows, read_back=True)
        assert seen == []
        counted = session.execute(select(func.count()).select_from(outbox_messages))
        assert counted.scalar_one() == 4  # everything pending went first
        assert seen == [False, True]  # the outbox's statement (one row), then this one's three

    assert keys_in_outbox(engine) == ["p-event", "p-read-0", "p-read-1", "p-read-2"]


def test_a_read_on_the_raw_connection_writes_read_back_rows_when_asked_to(engine: Engine) -> None:
    sessions = create_session_factory(engine)
    count = select(func.count()).select_from(outbox_messages)
    with transaction(sessions) as session:
        add(session, "p-event")  # not read back: write_before_read leaves it for the commit
        assert session.connection().execute(count).scalar_one() == 0
        write_before_read(session)
        assert session.connection().execute(count).scalar_one() == 0

        defer_insert(session, insert(outbox_messages), [row_of("p-read")], read_back=True)
        write_before_read(session)
        assert session.connection().execute(count).scalar_one() == 2

    assert keys_in_outbox(engine) == ["p-event", "p-read"]


def row_of(key: str) -> dict[str, Any]:
    now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    return {
        "event_id": str(uuid.uuid4()),
        "topic": OUTBOX.topic,
        "key": key,
        "ce_type": "gridplus.events.v1.PetitionMerged",
        "ce_source": OUTBOX.source,
        "ce_time": now,
        "payload": events_pb2.PetitionMerged(petition_id=key).SerializeToString(),
        "traceparent": None,
        "created_at": now,
    }


def test_rows_deferred_to_be_read_back_go_before_the_orms_own_flush(engine: Engine) -> None:
    """An ORM row flushed in the same transaction may refer to them (a foreign key)."""
    order: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("INSERT"):
            order.append(statement.split("(")[0].split()[-1])

    event.listen(engine, "before_cursor_execute", record)
    sessions = create_session_factory(engine)
    with transaction(sessions) as session:
        defer_insert(session, insert(outbox_messages), [row_of("p-1")], read_back=True)
        session.add(Processed(consumer="test", event_id="e-1", processed_at=datetime.now(UTC)))
        session.flush()
        assert order == ["kit_outbox_messages", "kit_processed_events"]


class Processed:
    """An ORM class over a kit table, for the flush order above."""

    def __init__(self, **columns: Any) -> None:
        for name, value in columns.items():
            setattr(self, name, value)


registry().map_imperatively(Processed, processed_events)
