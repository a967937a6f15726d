"""The kit's outbox relay and idempotent consumer on the real broker, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import Env, KafkaSettings
from gridplus.kit.consumer import EventConsumer, RetryPolicy, handler_table
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.dlq import replay
from gridplus.kit.events import Event, encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox, OutboxRelay
from gridplus.kit.tables import outbox_messages
from tests.support.broker import Broker
from tests.support.eventually import eventually
from tests.support.offsets import wait_for_commit
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

# A stand-in for a service's own table, so the test can see each effect exactly once.
effects_metadata = MetaData()
effects = Table(
    "test_effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("petition_id", String(64), nullable=False),
)


def kafka(broker: Broker) -> KafkaSettings:
    return KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)


@pytest.fixture
def store(database_url: str) -> Iterator[tuple]:
    engine = create_database_engine(database_url)
    migrate(engine, None)
    effects_metadata.create_all(engine)
    yield engine, create_session_factory(engine)
    engine.dispose()


def submitted(petition_id: str) -> events_pb2.PetitionSubmitted:
    return events_pb2.PetitionSubmitted(petition_id=petition_id, title="路灯不亮")


def run_in_thread(loop, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=loop, args=(stop,), daemon=True)
    thread.start()
    return thread


def count_effects(sessions) -> int:
    with transaction(sessions) as session:
        return int(session.execute(select(func.count()).select_from(effects)).scalar_one())


def test_outbox_events_reach_a_consumer_once_even_when_redelivered(broker: Broker, store) -> None:
    engine, sessions = store
    settings = kafka(broker)
    topic = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(settings, [topic, f"{topic}.dlq"])
    outbox = Outbox(topic=topic, source="/gridplus/test", clock=SystemClock())
    ids = [f"p-{i}" for i in range(50)]
    with transaction(sessions) as session:
        for petition_id in ids:
            outbox.add(session, submitted(petition_id), key=petition_id)

    def apply(session: Session, event: Event) -> None:
        session.execute(effects.insert().values(petition_id=event.payload.petition_id))

    consumer = EventConsumer(
        name=f"test-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        handlers=handler_table((events_pb2.PetitionSubmitted, apply)),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(settings, consumer.name, "test"),
        producer_factory=lambda: create_producer(settings, "test-dlq"),
        clock=SystemClock(),
    )
    relay = OutboxRelay(engine, sessions, lambda: create_producer(settings, "relay"), SystemClock())
    stop = threading.Event()
    threads = [run_in_thread(relay.run, stop), run_in_thread(consumer.run, stop)]
    try:
        eventually(lambda: count_effects(sessions) == 50, "all 50 events applied")
        # The broker delivers the same event again (a relay resend after a crash, say).
        with transaction(sessions) as session:
            first = session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).first()
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
        again = producer.send(
            topic,
            key=first.key.encode(),
            value=first.payload,
            headers=encode_headers(
                event_id=first.event_id,
                ce_type=first.ce_type,
                source=first.ce_source,
                time=first.ce_time,
                traceparent=None,
            ),
        ).get(timeout=10)
        producer.close()
        # Once the group has committed past the copy, the consumer has handled it.
        wait_for_commit(broker.bootstrap, consumer.name, topic, again.partition, again.offset)
        assert count_effects(sessions) == 50
        with transaction(sessions) as session:
            unsent = session.execute(
                select(func.count()).where(outbox_messages.c.sent_at.is_(None))
            ).scalar_one()
        assert unsent == 0
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)


def test_poison_event_goes_to_the_dead_letter_topic_after_bounded_retries(
    broker: Broker, store
) -> None:
    _engine, sessions = store
    settings = kafka(broker)
    topic = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(settings, [topic, f"{topic}.dlq"])
    attempts: list[str] = []

    def explode(session: Session, event: Event) -> None:
        attempts.append(event.id)
        raise ValueError("cannot apply this event")

    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    event_id = str(uuid.uuid4())
    producer.send(
        topic,
        key=b"p-1",
        value=submitted("p-1").SerializeToString(),
        headers=encode_headers(
            event_id=event_id,
            ce_type="gridplus.events.v1.PetitionSubmitted",
            source="/test",
            time=datetime.now(UTC),
            traceparent=None,
        ),
    ).get(timeout=10)
    producer.send(topic, key=b"junk", value=b"not an event").get(timeout=10)
    producer.close()
    consumer = EventConsumer(
        name=f"test-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        handlers=handler_table((events_pb2.PetitionSubmitted, explode)),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(settings, consumer.name, "test"),
        producer_factory=lambda: create_producer(settings, "test-dlq"),
        clock=SystemClock(),
        retry=RetryPolicy(max_attempts=3, first_backoff_seconds=0.01),
    )
    stop = threading.Event()
    thread = run_in_thread(consumer.run, stop)
    dlq = KafkaConsumer(
        f"{topic}.dlq",
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=20000,
    )
    try:
        dead = []
        for record in dlq:
            dead.append(dict(record.headers))
            if len(dead) == 2:
                break
    finally:
        dlq.close()
        stop.set()
        thread.join(15)
    assert attempts == [event_id] * 3
    by_error = sorted(dead, key=lambda headers: "ce_id" not in headers)
    assert by_error[0]["ce_id"].decode() == event_id
    assert b"cannot apply this event" in by_error[0]["x-gridplus-error"]
    assert b"missing CloudEvents headers" in by_error[1]["x-gridplus-error"]
    assert count_effects(sessions) == 0


def test_a_dead_letter_replayed_after_the_fix_is_applied_once(broker: Broker, store) -> None:
    engine, sessions = store
    settings = kafka(broker)
    topic = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(settings, [topic, f"{topic}.dlq"])
    broken = threading.Event()
    broken.set()

    def apply(session: Session, event: Event) -> None:
        if broken.is_set():
            raise ValueError("a bug in this version")
        session.execute(effects.insert().values(petition_id=event.payload.petition_id))

    outbox = Outbox(topic=topic, source="/gridplus/test", clock=SystemClock())
    with transaction(sessions) as session:
        outbox.add(session, submitted("p-dead"), key="p-dead")
    relay = OutboxRelay(engine, sessions, lambda: create_producer(settings, "relay"), SystemClock())
    assert relay.publish_pending() == 1
    name = f"test-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        name=name,
        topics=[topic],
        handlers=handler_table((events_pb2.PetitionSubmitted, apply)),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(settings, name, "test"),
        producer_factory=lambda: create_producer(settings, "test-dlq"),
        clock=SystemClock(),
        retry=RetryPolicy(max_attempts=2, first_backoff_seconds=0.01),
    )
    stop = threading.Event()
    thread = run_in_thread(consumer.run, stop)
    try:
        eventually(lambda: end_offset(broker, f"{topic}.dlq") == 1, "the poison event in the DLQ")
        broken.clear()  # the fix is deployed
        dlq_reader = create_consumer(settings, f"{name}-replay", "replay", consumer_timeout_ms=3000)
        dlq_reader.subscribe([f"{topic}.dlq"])
        replayed = replay(dlq_reader, create_producer(settings, "replay"), topic, only_group=name)
        dlq_reader.close()
        assert replayed == 1
        eventually(lambda: count_effects(sessions) == 1, "the replayed event applied")
    finally:
        stop.set()
        thread.join(15)


def end_offset(broker: Broker, topic: str) -> int:
    reader = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
    total = sum(reader.end_offsets(partitions).values()) if partitions else 0
    reader.close()
    return int(total)


def test_a_consumer_that_cannot_reach_the_broker_still_stops_promptly(store) -> None:
    """SIGTERM with Kafka away: the pod must drain within its grace period, not hang in connect."""
    _engine, sessions = store
    unreachable = replace(
        KafkaSettings.from_env(Env({})), bootstrap_servers=f"127.0.0.1:{free_port()}"
    )
    consumer = EventConsumer(
        name="test-unreachable",
        topics=["gridplus.test.unreachable"],
        handlers=handler_table((events_pb2.PetitionSubmitted, lambda session, event: None)),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(unreachable, "test-unreachable", "test"),
        producer_factory=lambda: create_producer(unreachable, "test-dlq"),
        clock=SystemClock(),
    )
    stop = threading.Event()
    thread = run_in_thread(consumer.run, stop)
    time.sleep(1.0)  # inside its first connection attempt
    stop.set()
    thread.join(timeout=8.0)
    assert not thread.is_alive(), "consumer still connecting 8 s after stop"
