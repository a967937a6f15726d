"""A two-step handler: remote work before the transaction, its result applied inside it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import SystemClock
from gridplus.kit.consumer import EventConsumer, Prepared, handler_table
from gridplus.kit.events import Event, encode_headers
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

results = Table(
    "test_results",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("value", String(100)),
)


def record(event_id: str) -> SimpleNamespace:
    payload = events_pb2.PetitionSubmitted(petition_id="p-1", title="积水")
    headers = encode_headers(
        event_id=event_id,
        ce_type=payload.DESCRIPTOR.full_name,
        source="/test",
        time=datetime.now(UTC),
        traceparent=None,
    )
    return SimpleNamespace(
        key=b"p-1",
        value=payload.SerializeToString(),
        headers=headers,
        topic="t",
        partition=0,
        offset=0,
    )


def test_prepare_runs_outside_the_transaction_and_a_duplicate_changes_nothing(
    database_url: str,
) -> None:
    prepared_for: list[str] = []
    with migrated_store(database_url, None) as store:
        results.metadata.create_all(store.engine)

        def prepare(event: Event) -> str:
            # Outside any transaction: the connection pool has nothing checked out.
            assert store.engine.pool.checkedout() == 0
            prepared_for.append(event.id)
            return f"located {event.payload.petition_id}"  # type: ignore[attr-defined]

        def apply(session: Session, event: Event, placement: str) -> None:
            session.execute(results.insert().values(value=placement))

        consumer = EventConsumer(
            name="prepared-test",
            topics=["t"],
            handlers=handler_table((events_pb2.PetitionSubmitted, Prepared(prepare, apply))),
            sessions=store.sessions,
            consumer_factory=lambda: None,  # type: ignore[arg-type,return-value]
            producer_factory=lambda: None,  # type: ignore[arg-type,return-value]
            clock=SystemClock(),
        )
        stop = threading.Event()
        assert consumer.process(record("e-1"), stop) == "applied"  # type: ignore[arg-type]
        assert consumer.process(record("e-1"), stop) == "duplicate"  # type: ignore[arg-type]
        with store.sessions() as session:
            values = session.execute(select(results.c.value)).scalars().all()
    assert values == ["located p-1"]
    assert prepared_for == ["e-1", "e-1"]
