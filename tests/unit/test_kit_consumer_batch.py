"""The consumer's batch: one transaction per poll batch, cut where the per-event promises need it.

A real SQLite file and records built by hand (no broker): what each batch commits, which events
reach the per-event path and with how many attempts spent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, func, select
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.batch import BatchApplier, Prepared
from gridplus.kit.clock import SystemClock
from gridplus.kit.consumer import handler_table
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.events import Event, encode_headers
from gridplus.kit.migrations import migrate
from gridplus.kit.tracing import current_traceparent
from tests.support.records import OneByOne

__all__ = ["OneByOne"]  # the other batch tests import it from here

effects = Table(
    "test_effects",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_key", String(64), nullable=False),
    Column("title", String(64), nullable=False),
)


class Store(SimpleNamespace):
    sessions: SessionFactory
    commits: list[int]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = create_database_engine(f"sqlite:///{tmp_path}/batch.db")
    migrate(engine, None)
    effects.metadata.create_all(engine)
    commits: list[int] = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    yield Store(sessions=create_session_factory(engine), commits=commits)
    engine.dispose()


def record(
    offset: int, key: str, title: str, event_id: str | None = None, traceparent: str | None = None
) -> Any:
    payload = events_pb2.PetitionSubmitted(petition_id=key, title=title)
    headers = encode_headers(
        event_id=event_id or str(uuid.uuid4()),
        ce_type=payload.DESCRIPTOR.full_name,
        source="/test",
        time=datetime.now(UTC),
        traceparent=traceparent,
    )
    return SimpleNamespace(
        key=key.encode(),
        value=payload.SerializeToString(),
        headers=headers,
        topic="t",
        partition=0,
        offset=offset,
    )


def write(session: Session, event: Event) -> None:
    if event.payload.title == "poison":  # type: ignore[attr-defined]
        raise ValueError("cannot apply this event")
    session.execute(
        effects.insert().values(event_key=event.key, title=event.payload.title)  # type: ignore[attr-defined]
    )


def applier(store: Store, handler: Any = write, woken: list[int] | None = None) -> BatchApplier:
    return BatchApplier(
        name="batch-test",
        handlers=handler_table((events_pb2.PetitionSubmitted, handler)),
        sessions=store.sessions,
        clock=SystemClock(),
        after_commit=lambda: (woken if woken is not None else []).append(1),
    )


def titles(store: Store) -> list[str]:
    with transaction(store.sessions) as session:
        return list(session.execute(select(effects.c.title).order_by(effects.c.id)).scalars())


def test_a_batch_is_one_transaction_and_a_redelivered_batch_changes_nothing(store: Store) -> None:
    records = [record(n, f"p-{n % 3}", f"t{n}") for n in range(10)]
    woken: list[int] = []
    one = OneByOne()
    assert applier(store, woken=woken).apply(records, one) is None
    assert len(store.commits) == 1
    assert titles(store) == [f"t{n}" for n in range(10)]
    assert woken == [1]
    assert applier(store, woken=woken).apply(records, one) is None  # redelivered after a crash
    assert titles(store) == [f"t{n}" for n in range(10)]
    assert woken == [1], "nothing applied, nothing to wake the relay for"
    assert one.handed == []


def test_the_same_event_twice_in_one_poll_is_applied_once(store: Store) -> None:
    twice = str(uuid.uuid4())
    records = [
        record(0, "p-1", "once", twice),
        record(1, "p-2", "other"),
        record(2, "p-1", "once", twice),
    ]
    applier(store).apply(records, OneByOne())
    assert titles(store) == ["once", "other"]


def test_a_poison_event_alone_goes_the_per_event_way_with_one_attempt_spent(store: Store) -> None:
    records = [record(n, f"p-{n % 4}", "poison" if n == 5 else f"t{n}") for n in range(12)]
    one = OneByOne()
    assert applier(store).apply(records, one) is None
    assert one.handed == [(5, 1)]
    assert titles(store) == [f"t{n}" for n in range(12) if n != 5]


def test_shutdown_in_the_per_event_path_reports_where_it_stopped(store: Store) -> None:
    records = [record(n, f"p-{n}", "poison" if n == 3 else f"t{n}") for n in range(6)]
    stopped = applier(store).apply(records, lambda _record, _attempts: False)
    assert stopped is not None and stopped.offset == 3
    assert titles(store) == ["t0", "t1", "t2"], "what came before the poison is kept"


def test_a_malformed_record_keeps_its_place_in_the_order(store: Store) -> None:
    records = [record(n, f"p-{n}", f"t{n}") for n in range(5)]
    records[2] = SimpleNamespace(
        key=b"junk", value=b"junk", headers=[], topic="t", partition=0, offset=2
    )
    one = OneByOne()
    applier(store).apply(records, one)
    assert len(store.commits) == 2, "the events before it committed first, then the rest"
    assert one.handed == [(2, 0)]
    assert titles(store) == ["t0", "t1", "t3", "t4"]


def test_prepare_sees_every_earlier_event_of_its_key(store: Store) -> None:
    seen: dict[str, list[int]] = {}

    def prepare(event: Event) -> int:
        # What dispatch does: read back what an earlier event of this petition wrote.
        with transaction(store.sessions) as session:
            count = session.execute(
                select(func.count()).where(effects.c.event_key == event.key)
            ).scalar_one()
        seen.setdefault(event.key, []).append(int(count))
        return int(count)

    def apply(session: Session, event: Event, _before: int) -> None:
        write(session, event)

    keys = ["p-1", "p-2", "p-1", "p-3", "p-1", "p-2"]
    records = [record(n, key, f"t{n}") for n, key in enumerate(keys)]
    applier(store, Prepared(prepare, apply)).apply(records, OneByOne())
    batches = len(store.commits) - len(keys)  # each prepare read in a transaction of its own
    assert batches == 3, "cut only before p-1's second and third events"
    assert seen == {"p-1": [0, 1, 2], "p-2": [0, 1], "p-3": [0]}
    assert titles(store) == [f"t{n}" for n in range(6)]


def test_a_failed_prepare_goes_the_per_event_way_with_one_attempt_spent(store: Store) -> None:
    def prepare(event: Event) -> None:
        if event.payload.title == "unreachable":  # type: ignore[attr-defined]
            raise ConnectionError("grid-registry away")

    def apply(session: Session, event: Event, _prepared: None) -> None:
        write(session, event)

    records = [record(n, f"p-{n}", "unreachable" if n == 2 else f"t{n}") for n in range(5)]
    one = OneByOne()
    applier(store, Prepared(prepare, apply)).apply(records, one)
    assert one.handed == [(2, 1)]
    assert titles(store) == ["t0", "t1", "t3", "t4"]


def test_prepare_runs_in_the_producers_trace(store: Store) -> None:
    """Its remote calls (dispatch asking grid-registry) carry the event's trace on."""
    producer = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    traces: list[str | None] = []

    def prepare(_event: Event) -> None:
        traces.append(current_traceparent())

    def apply(session: Session, event: Event, _prepared: None) -> None:
        write(session, event)

    records = [record(0, "p-1", "t0", traceparent=producer), record(1, "p-2", "t1")]
    applier(store, Prepared(prepare, apply)).apply(records, OneByOne())
    with_trace, without = traces
    assert with_trace is not None and with_trace.split("-")[1] == producer.split("-")[1]
    assert without is not None and without.split("-")[1] != producer.split("-")[1]
