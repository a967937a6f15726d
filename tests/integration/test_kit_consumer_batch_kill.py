"""kill -9 of a real consumer process in the middle of a batch, then a restart: each event's
effect exactly once, each key's events in order. On SQLite and PostgreSQL, on the real broker.

The consumer runs in a child process (this module's `main`) that kills itself with SIGKILL at
the moment under test: once inside a batch's transaction (nothing of the batch may survive),
once right after a batch's database commit and before its offset commit (the batch is
redelivered and must change nothing). A third child, left alone, finishes the topic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
from gridplus.kit.logging import configure_logging
from gridplus.kit.migrations import migrate
from tests.support.broker import Broker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 3
KEYS = 6
PER_KEY = 15
KILL_INSIDE_AT = 10  # events handled in the first batch's transaction when the process dies

effects = Table(
    "test_kill_effects",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),  # not unique: a double would show
    Column("event_key", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
)


def settings_for(bootstrap: str) -> KafkaSettings:
    # A static member: the restarted child takes its partitions back without waiting for the
    # group to notice the killed one.
    return KafkaSettings(
        bootstrap, "PLAINTEXT", None, None, None, None, PARTITIONS, 1, "batch-kill-child"
    )


# -- the child process ------------------------------------------------------------------------


def main(url: str, bootstrap: str, topic: str, group: str, mode: str) -> None:
    # The kit's JSON lines, so a failing run shows each warning's error (its `extra` fields).
    configure_logging(f"batch-kill-{mode}")
    engine = create_database_engine(url)
    sessions = create_session_factory(engine)
    settings = settings_for(bootstrap)
    handled = 0

    def apply(session: Session, event: Event) -> None:
        nonlocal handled
        handled += 1
        if mode == "inside-transaction" and handled == KILL_INSIDE_AT:
            os.kill(os.getpid(), signal.SIGKILL)
        session.execute(
            effects.insert().values(
                event_id=event.id,
                event_key=event.key,
                seq=int(event.payload.description),  # type: ignore[attr-defined]
            )
        )

    def after_commit() -> None:
        if mode == "after-database-commit":
            os.kill(os.getpid(), signal.SIGKILL)  # the offset commit never happens

    consumer = EventConsumer(
        name=group,
        topics=[topic],
        handlers=handler_table((events_pb2.PetitionSubmitted, apply)),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(settings, group, "kill-test"),
        producer_factory=lambda: create_producer(settings, "kill-test-dlq"),
        clock=SystemClock(),
        after_commit=after_commit,
        # Smaller than the topic (90 events): the batch killed after its commit leaves work for
        # the restarted consumer, whatever a poll returns (its partitions go in one batch).
        max_batch=40,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    consumer.run(stop)


# -- the test ---------------------------------------------------------------------------------


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = create_database_engine(database_url)
    migrate(engine, None)
    effects.metadata.create_all(engine)
    yield create_session_factory(engine)
    engine.dispose()


def produce(bootstrap: str, topic: str) -> list[str]:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    ids = []
    for seq in range(PER_KEY):
        for k in range(KEYS):
            event_id = str(uuid.uuid4())
            ids.append(event_id)
            payload = events_pb2.PetitionSubmitted(petition_id=f"p-{k}", description=str(seq))
            producer.send(
                topic,
                key=f"p-{k}".encode(),
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


def child(url: str, bootstrap: str, topic: str, group: str, mode: str) -> subprocess.Popen[bytes]:
    module = "tests.integration.test_kit_consumer_batch_kill"
    return subprocess.Popen(
        [sys.executable, "-m", module, url, bootstrap, topic, group, mode],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def applied(sessions: SessionFactory) -> list[tuple[str, str, int]]:
    with transaction(sessions) as session:
        query = select(effects.c.event_id, effects.c.event_key, effects.c.seq)
        return [tuple(row) for row in session.execute(query.order_by(effects.c.id))]  # type: ignore[misc]


def count(sessions: SessionFactory) -> int:
    with transaction(sessions) as session:
        return int(session.execute(select(func.count()).select_from(effects)).scalar_one())


def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset per partition (0: none yet, as for a partition no key
    hashed to)."""
    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        return {p: probe.committed(TopicPartition(topic, p)) or 0 for p in range(PARTITIONS)}
    finally:
        probe.close()


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    probe = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        ends = probe.end_offsets([TopicPartition(topic, p) for p in range(PARTITIONS)])
        return {partition.partition: offset for partition, offset in ends.items()}
    finally:
        probe.close()


def killed(process: subprocess.Popen[bytes]) -> bool:
    return process.wait(timeout=90) == -signal.SIGKILL


def test_a_batch_killed_mid_transaction_and_after_its_commit_is_applied_exactly_once(
    broker: Broker, database_url: str, sessions: SessionFactory
) -> None:
    bootstrap = broker.bootstrap
    topic = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(settings_for(bootstrap), [topic, f"{topic}.dlq"])
    ids = produce(bootstrap, topic)
    group = f"test-kill-{uuid.uuid4().hex[:6]}"

    assert killed(child(database_url, bootstrap, topic, group, "inside-transaction"))
    assert count(sessions) == 0, "a batch killed inside its transaction left effects"

    assert killed(child(database_url, bootstrap, topic, group, "after-database-commit"))
    first_batch = count(sessions)
    assert 0 < first_batch < len(ids)
    assert set(committed(bootstrap, group, topic).values()) == {0}, "an offset was committed"

    survivor = child(database_url, bootstrap, topic, group, "run")
    try:
        ends = end_offsets(bootstrap, topic)
        deadline = 90.0
        started = time.monotonic()
        while committed(bootstrap, group, topic) != ends:
            assert time.monotonic() - started < deadline, "the restarted consumer never caught up"
            assert survivor.poll() is None, "the restarted consumer died"
            time.sleep(0.2)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    rows = applied(sessions)
    assert sorted(event_id for event_id, _key, _seq in rows) == sorted(ids), "not exactly once"
    for k in range(KEYS):
        assert [seq for _id, key, seq in rows if key == f"p-{k}"] == list(range(PER_KEY))


if __name__ == "__main__":
    main(*sys.argv[1:6])
