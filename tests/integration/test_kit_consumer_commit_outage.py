"""The consumer loses nothing when an offset commit fails halfway through a poll's partitions.

A poll returns records of several partitions at once and moves the consumer past all of them.
If the broker is away longer than the request timeout while the first partition's offset is
committed, the commit raises; the records of the partitions not yet applied must be fetched
again, not skipped (they were, before: the chaos run's assignments that notified nobody)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer, handler_table
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.events import Event, encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.migrations import migrate
from tests.support.broker import Broker
from tests.support.eventually import eventually
from tests.support.ports import free_port
from tools.broker_proxy import BrokerProxy

pytestmark = pytest.mark.integration

effects_metadata = MetaData()
effects = Table(
    "test_effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("petition_id", String(64), nullable=False, unique=True),
)

OFFSET_COMMIT = 8  # the Kafka API key of OffsetCommit requests
PER_PARTITION = 20
PARTITIONS = 3


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[SessionFactory]:
    engine = create_database_engine(f"sqlite:///{tmp_path}/consumer.db")
    migrate(engine, None)
    effects_metadata.create_all(engine)
    yield create_session_factory(engine)
    engine.dispose()


def applied(sessions: SessionFactory) -> int:
    with transaction(sessions) as session:
        return int(session.execute(select(func.count()).select_from(effects)).scalar_one())


def produce(bootstrap: str, topic: str) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for partition in range(PARTITIONS):
        for n in range(PER_PARTITION):
            petition_id = f"p-{partition}-{n}"
            producer.send(
                topic,
                partition=partition,
                key=petition_id.encode(),
                value=events_pb2.PetitionSubmitted(petition_id=petition_id).SerializeToString(),
                headers=encode_headers(
                    event_id=str(uuid.uuid4()),
                    ce_type=events_pb2.PetitionSubmitted.DESCRIPTOR.full_name,
                    source="/gridplus/test",
                    time=datetime(2026, 12, 4, tzinfo=UTC),
                    traceparent=None,
                ),
            )
    producer.flush(30)
    producer.close()


def test_a_failed_commit_mid_poll_skips_no_partition(broker: Broker, sessions) -> None:
    proxy = BrokerProxy(free_port(), broker.port)
    proxy.start()
    bootstrap = f"127.0.0.1:{proxy.port}"
    settings = KafkaSettings(bootstrap, "PLAINTEXT", None, None, None, None, PARTITIONS, 1)
    topic = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(settings, [topic, f"{topic}.dlq"])
    produce(broker.bootstrap, topic)
    cut_off = threading.Event()

    def apply(session: Session, event: Event) -> None:
        session.execute(effects.insert().values(petition_id=event.payload.petition_id))
        if not cut_off.is_set():
            # The first event of the poll: the broker leaves the commit that follows unanswered
            # for longer than the consumer's request timeout (a busy broker; the group itself
            # stays as it was), then answers again.
            cut_off.set()
            proxy.leave_unanswered(frozenset({OFFSET_COMMIT}))
            threading.Timer(5.0, proxy.leave_unanswered, args=(frozenset(),)).start()

    group = f"test-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        name=group,
        topics=[topic],
        handlers=handler_table((events_pb2.PetitionSubmitted, apply)),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(
            settings, group, "test", request_timeout_ms=3000, max_poll_records=500
        ),
        producer_factory=lambda: create_producer(settings, "test-dlq"),
        clock=SystemClock(),
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        eventually(
            lambda: applied(sessions) == PARTITIONS * PER_PARTITION,
            f"all {PARTITIONS * PER_PARTITION} events applied, on every partition",
            timeout=60,
        )
        assert cut_off.is_set(), "the commit outage never happened"
    finally:
        stop.set()
        thread.join(15)
        proxy.close()
