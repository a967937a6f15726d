"""Offsets are committed about once a second under load, and at once when the consumer is idle.

A busy consumer used to commit after every poll (a synchronous round trip each time); now it
commits at most once per interval, and an idle group still shows no lag: a poll that comes back
empty commits what was applied. Nothing is applied twice either way (the processed-event ids)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
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
    "test_offset_effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("petition_id", String(64), nullable=False, unique=True),
)

OFFSET_COMMIT = 8  # the Kafka API key of OffsetCommit requests
PARTITIONS = 2


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[SessionFactory]:
    engine = create_database_engine(f"sqlite:///{tmp_path}/offsets.db")
    migrate(engine, None)
    effects_metadata.create_all(engine)
    yield create_session_factory(engine)
    engine.dispose()


def applied(sessions: SessionFactory) -> int:
    with transaction(sessions) as session:
        return int(session.execute(select(func.count()).select_from(effects)).scalar_one())


def produce(bootstrap: str, topic: str, count: int, prefix: str, *, spread: bool = True) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for n in range(count):
        petition_id = f"{prefix}-{n}"
        producer.send(
            topic,
            partition=n % PARTITIONS if spread else 0,
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


def lag(bootstrap: str, group: str, topic: str) -> int:
    """End offsets minus the group's committed offsets, over the topic's partitions."""
    reader = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = reader.end_offsets(partitions)
        return sum(ends[tp] - (reader.committed(tp) or 0) for tp in partitions)
    finally:
        reader.close(autocommit=False)


class Stack:
    def __init__(self, broker: Broker, sessions: SessionFactory) -> None:
        self.proxy = BrokerProxy(free_port(), broker.port)
        self.proxy.start()
        self.bootstrap = f"127.0.0.1:{self.proxy.port}"
        self.settings = KafkaSettings(
            self.bootstrap, "PLAINTEXT", None, None, None, None, PARTITIONS, 1
        )
        self.topic = f"test.{uuid.uuid4().hex[:8]}.events.v1"
        self.group = f"test-{uuid.uuid4().hex[:6]}"
        ensure_topics(self.settings, [self.topic, f"{self.topic}.dlq"])
        self.sessions = sessions

    def consumer(self, *, interval: float, slow: bool) -> EventConsumer:
        def apply(session: Session, event: Event) -> None:
            session.execute(effects.insert().values(petition_id=event.payload.petition_id))
            if slow:
                time.sleep(0.004)  # a handler that takes a while: many polls per second

        return EventConsumer(
            name=self.group,
            topics=[self.topic],
            handlers=handler_table((events_pb2.PetitionSubmitted, apply)),
            sessions=self.sessions,
            consumer_factory=lambda: create_consumer(
                self.settings, self.group, "test", max_poll_records=5
            ),
            producer_factory=lambda: create_producer(self.settings, "test-dlq"),
            clock=SystemClock(),
            commit_interval_seconds=interval,
        )


def running(consumer: EventConsumer) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def test_a_busy_consumer_commits_about_once_a_second_and_shows_no_lag_once_idle(
    broker: Broker, sessions: SessionFactory
) -> None:
    stack = Stack(broker, sessions)
    produce(broker.bootstrap, stack.topic, 600, "busy")
    stop, thread = running(stack.consumer(interval=1.0, slow=True))
    try:
        started = time.monotonic()
        eventually(lambda: applied(sessions) == 600, "all 600 events applied", timeout=90)
        busy_seconds = time.monotonic() - started
        # 600 events in polls of at most 5: 120 or more polls with records, each of which
        # committed before. Once a second now, plus the join and the commit when idle.
        eventually(
            lambda: lag(broker.bootstrap, stack.group, stack.topic) == 0,
            "the idle group's committed offsets at the end of the topic",
            timeout=5,
        )
        commits = stack.proxy.requests[OFFSET_COMMIT]
        assert busy_seconds > 2, f"too fast to tell ({busy_seconds:.1f} s)"
        assert commits <= busy_seconds / 1.0 + 4, (
            f"{commits} offset commits in {busy_seconds:.1f} s of work"
        )
    finally:
        stop.set()
        thread.join(15)
        stack.proxy.close()


def test_offsets_held_back_by_a_long_interval_are_committed_when_the_consumer_stops(
    broker: Broker, sessions: SessionFactory
) -> None:
    stack = Stack(broker, sessions)
    produce(broker.bootstrap, stack.topic, 40, "stop", spread=False)  # stop-39 comes last
    stop = threading.Event()

    def apply(session: Session, event: Event) -> None:
        session.execute(effects.insert().values(petition_id=event.payload.petition_id))
        if event.payload.petition_id == "stop-39":
            # Stopped while busy: no empty poll comes after the last event to commit it, and
            # the interval (an hour) is far off; only the commit on the way out is left.
            stop.set()

    consumer = EventConsumer(
        name=stack.group,
        topics=[stack.topic],
        handlers=handler_table((events_pb2.PetitionSubmitted, apply)),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(
            stack.settings, stack.group, "test", max_poll_records=5
        ),
        producer_factory=lambda: create_producer(stack.settings, "test-dlq"),
        clock=SystemClock(),
        commit_interval_seconds=3600.0,
    )
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert stop.wait(60), "the last event was never applied"
        thread.join(15)
        assert applied(sessions) == 40
        assert lag(broker.bootstrap, stack.group, stack.topic) == 0
    finally:
        stop.set()
        thread.join(15)
        stack.proxy.close()
