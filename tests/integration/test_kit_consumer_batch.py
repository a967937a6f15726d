"""The kit consumer applying whole poll batches, on the real broker, SQLite and PostgreSQL:
a poison event in the middle of a batch is dead-lettered alone, and the events of one key keep
their order across batches (also for a two-step handler that reads back its key's state)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer, EventHandler, Prepared, RetryPolicy, handler_table
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event, encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from tests.support.broker import Broker
from tests.support.eventually import eventually
from tests.support.offsets import wait_for_commit
from tests.support.store import MigratedStore, migrated_store

pytestmark = pytest.mark.integration

effects = Table(
    "test_batch_effects",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),  # not unique: a double would show
    Column("event_key", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
)


@pytest.fixture
def store(database_url: str) -> Iterator[MigratedStore]:
    with migrated_store(database_url, None) as migrated:
        effects.metadata.create_all(migrated.engine)
        yield migrated


def topic_of(broker: Broker, partitions: int) -> tuple[KafkaSettings, str]:
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, partitions, 1)
    topic = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(settings, [topic, f"{topic}.dlq"])
    return settings, topic


def produce(broker: Broker, topic: str, events: list[tuple[str, int, str]]) -> list[str]:
    """(key, seq, title) each; returns the event ids in order. Keys pick the partitions."""
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    ids = []
    for key, seq, title in events:
        event_id = str(uuid.uuid4())
        ids.append(event_id)
        payload = events_pb2.PetitionSubmitted(petition_id=key, title=title, description=str(seq))
        producer.send(
            topic,
            key=key.encode(),
            value=payload.SerializeToString(),
            headers=encode_headers(
                event_id=event_id,
                ce_type=payload.DESCRIPTOR.full_name,
                source="/test",
                time=datetime.now(UTC),
                traceparent=None,
            ),
        )
    producer.flush(30)
    producer.close()
    return ids


def insert_effect(session: Session, event: Event) -> None:
    session.execute(
        effects.insert().values(
            event_id=event.id,
            event_key=event.key,
            seq=int(event.payload.description),  # type: ignore[attr-defined]
        )
    )


def rows(sessions: SessionFactory) -> list[tuple[str, str, int]]:
    with transaction(sessions) as session:
        query = select(effects.c.event_id, effects.c.event_key, effects.c.seq)
        return [tuple(row) for row in session.execute(query.order_by(effects.c.id))]  # type: ignore[misc]


def count(sessions: SessionFactory) -> int:
    with transaction(sessions) as session:
        return int(session.execute(select(func.count()).select_from(effects)).scalar_one())


def consumer_for(
    settings: KafkaSettings,
    topic: str,
    store: MigratedStore,
    handler: EventHandler,
    *,
    max_poll_records: int = 200,
    max_batch: int = 200,
) -> EventConsumer:
    name = f"test-{uuid.uuid4().hex[:6]}"
    return EventConsumer(
        name=name,
        topics=[topic],
        handlers=handler_table((events_pb2.PetitionSubmitted, handler)),
        sessions=store.sessions,
        consumer_factory=lambda: create_consumer(
            settings, name, "test", max_poll_records=max_poll_records
        ),
        producer_factory=lambda: create_producer(settings, "test-dlq"),
        clock=SystemClock(),
        retry=RetryPolicy(max_attempts=3, first_backoff_seconds=0.01),
        max_batch=max_batch,
    )


def running(consumer: EventConsumer) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def dead_letters(broker: Broker, topic: str, expected: int) -> list[str]:
    reader = KafkaConsumer(
        f"{topic}.dlq",
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        found = [dict(record.headers)["ce_id"].decode() for record in reader]
    finally:
        reader.close()
    assert len(found) == expected, found
    return found


def test_a_poison_event_in_the_middle_of_a_batch_is_the_only_one_dead_lettered(
    broker: Broker, store: MigratedStore
) -> None:
    settings, topic = topic_of(broker, partitions=1)
    events = [(f"p-{n % 5}", n // 5, "poison" if n == 17 else "ok") for n in range(40)]
    ids = produce(broker, topic, events)  # all on the broker before the consumer's first poll
    calls: dict[str, int] = {}

    def apply(session: Session, event: Event) -> None:
        calls[event.id] = calls.get(event.id, 0) + 1
        if event.payload.title == "poison":  # type: ignore[attr-defined]
            raise ValueError("cannot apply this event")
        insert_effect(session, event)

    consumer = consumer_for(settings, topic, store, apply)
    stop, thread = running(consumer)
    try:
        wait_for_commit(broker.bootstrap, consumer.name, topic, 0, len(events) - 1)
    finally:
        stop.set()
        thread.join(15)
    applied = rows(store.sessions)
    assert [event_id for event_id, _key, _seq in applied] == [i for i in ids if i != ids[17]]
    assert dead_letters(broker, topic, 1) == [ids[17]]
    assert calls[ids[17]] == 3, "the batch's failure counts as the first of the three attempts"


def test_events_of_one_key_stay_in_order_across_batches(
    broker: Broker, store: MigratedStore
) -> None:
    settings, topic = topic_of(broker, partitions=3)
    keys = [f"p-{k}" for k in range(7)]
    events = [(key, seq, "ok") for seq in range(12) for key in keys]
    produce(broker, topic, events)
    stale: list[tuple[str, int, int]] = []

    def last_seq(event: Event) -> int:
        # Like dispatch reading back the petition it routed: the key's state before this event.
        with transaction(store.sessions) as session:
            query = select(func.max(effects.c.seq)).where(effects.c.event_key == event.key)
            found = session.execute(query).scalar_one()
        return -1 if found is None else int(found)

    def apply(session: Session, event: Event, before: int) -> None:
        seq = int(event.payload.description)  # type: ignore[attr-defined]
        if before != seq - 1:
            stale.append((event.key, seq, before))
        insert_effect(session, event)

    # Polls of at most 10 records, batches of at most 4: a key's events span many of each.
    consumer = consumer_for(
        settings, topic, store, Prepared(last_seq, apply), max_poll_records=10, max_batch=4
    )
    stop, thread = running(consumer)
    try:
        eventually(lambda: count(store.sessions) == len(events), "every event applied", timeout=60)
    finally:
        stop.set()
        thread.join(15)
    applied = rows(store.sessions)
    assert len({event_id for event_id, _key, _seq in applied}) == len(events)
    for key in keys:
        assert [seq for _id, k, seq in applied if k == key] == list(range(12)), key
    assert stale == [], "a prepare ran before an earlier event of its key was committed"
