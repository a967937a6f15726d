"""What the outbox relay costs, on SQLite and PostgreSQL with the real broker: a commit that adds
no events costs it nothing, one that does is published at once (not at the next poll), a batch
goes out with one flush and one "sent" UPDATE, the lease is written once a quarter of its ttl
(never left to lapse while a batch is out), and a replica without the lease does not try for it
at every commit."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import Engine, event, func, select, text

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import Clock, ManualClock, SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.kafka import create_producer, ensure_topics
from gridplus.kit.lease import leases
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox, OutboxRelay
from gridplus.kit.tables import outbox_messages
from tests.support.broker import Broker
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def kafka(broker: Broker) -> KafkaSettings:
    return KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)


@pytest.fixture
def topic(broker: Broker) -> str:
    name = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(kafka(broker), [name])
    return name


@pytest.fixture
def migrated(database_url: str) -> str:
    engine = create_database_engine(database_url)
    migrate(engine, None)
    engine.dispose()
    return database_url


class Statements:
    """Every SQL statement an engine runs that names `table`."""

    def __init__(self, engine: Engine, table: str) -> None:
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)
        self._table = table

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._table in statement:
            self.seen.append(" ".join(statement.split()))

    def starting(self, verb: str) -> list[str]:
        return [s for s in self.seen if s.upper().startswith(verb)]

    def looks(self) -> list[str]:
        """The relay's queries for pending rows (not the test's own counts)."""
        return [s for s in self.starting("SELECT") if "ORDER BY" in s]


class Replica:
    """A relay on an engine of its own, as another pod would have."""

    def __init__(
        self, url: str, producer: Callable[[], Any], clock: Clock, holder: str, **options: Any
    ):
        self.engine = create_database_engine(url)
        self.sessions: SessionFactory = create_session_factory(self.engine)
        self.outbox_sql = Statements(self.engine, "kit_outbox_messages")
        self.lease_sql = Statements(self.engine, "kit_leases")
        self.relay = OutboxRelay(
            self.engine,
            self.sessions,
            producer,
            clock,
            name="outbox-relay:test",
            holder=holder,
            **options,
        )


class CountingProducer:
    def __init__(self, producer: KafkaProducer, on_send: Callable[[], None] | None = None) -> None:
        self.producer, self.on_send = producer, on_send
        self.sent = self.flushes = 0
        self.on_flush: Callable[[], None] | None = None

    def send(self, *args: Any, **kwargs: Any) -> Any:
        if self.on_send is not None:
            hook, self.on_send = self.on_send, None
            hook()
        self.sent += 1
        return self.producer.send(*args, **kwargs)

    def flush(self, timeout: float | None = None) -> None:
        self.flushes += 1
        self.producer.flush(timeout=timeout)
        if self.on_flush is not None:
            hook, self.on_flush = self.on_flush, None
            hook()

    def close(self, timeout: float | None = None) -> None:
        self.producer.close(timeout=timeout)


def add_events(sessions: SessionFactory, topic: str, count: int) -> None:
    outbox = Outbox(topic=topic, source="/gridplus/test", clock=SystemClock())
    with transaction(sessions) as session:
        for _ in range(count):
            petition_id = uuid.uuid4().hex
            payload = events_pb2.PetitionSubmitted(petition_id=petition_id, title="路灯不亮")
            outbox.add(session, payload, key=petition_id)


def unsent(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).where(outbox_messages.c.sent_at.is_(None))
            ).scalar_one()
        )


def lease_expiry(engine: Engine) -> datetime:
    with engine.connect() as connection:
        expires = connection.execute(select(leases.c.expires_at)).scalar_one()
    return expires if expires.tzinfo else expires.replace(tzinfo=UTC)


def on_broker(broker: Broker, topic: str) -> list[str]:
    reader = KafkaConsumer(bootstrap_servers=broker.bootstrap, consumer_timeout_ms=2000)
    reader.assign([TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()])
    reader.seek_to_beginning()
    ids = [dict(m.headers)["ce_id"].decode() for m in reader]
    reader.close()
    return ids


@pytest.fixture
def running() -> Iterator[Callable[[OutboxRelay], None]]:
    stops: list[tuple[threading.Event, threading.Thread]] = []

    def start(relay: OutboxRelay) -> None:
        stop = threading.Event()
        thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
        thread.start()
        stops.append((stop, thread))

    yield start
    for stop, thread in stops:
        stop.set()
        thread.join(15)


def test_a_commit_without_events_costs_the_relay_nothing_and_one_with_events_is_sent_at_once(
    broker: Broker, migrated: str, topic: str, running: Callable[[OutboxRelay], None]
) -> None:
    # A poll a minute apart: only the commit's own signal can explain a prompt publication.
    a = Replica(
        migrated, lambda: create_producer(kafka(broker), "a"), SystemClock(), "a", poll_seconds=60
    )
    try:
        running(a.relay)
        eventually(lambda: a.relay.lease.held, "the relay takes its lease")
        eventually(lambda: a.outbox_sql.looks(), "the relay's first look")
        looked = len(a.outbox_sql.seen)
        for _ in range(30):  # consumer batches that wrote no events, each waking the relay
            with transaction(a.sessions) as session:
                session.execute(text("SELECT 1"))
            a.relay.wake()
        threading.Event().wait(0.6)
        assert len(a.outbox_sql.seen) == looked, "no query for commits that added no events"

        add_events(a.sessions, topic, 3)
        eventually(
            lambda: unsent(a.engine) == 0, "published at once, not after the minute", timeout=5
        )
        assert len(on_broker(broker, topic)) == 3
        assert len(a.outbox_sql.looks()) == 2  # the first look, then one for the batch
    finally:
        a.engine.dispose()


def test_events_another_process_wrote_are_found_by_the_poll(
    broker: Broker, migrated: str, topic: str, running: Callable[[OutboxRelay], None]
) -> None:
    a = Replica(
        migrated, lambda: create_producer(kafka(broker), "a"), SystemClock(), "a", poll_seconds=0.2
    )
    elsewhere = create_database_engine(migrated)
    try:
        running(a.relay)
        add_events(create_session_factory(elsewhere), topic, 4)  # no signal reaches a
        eventually(lambda: unsent(a.engine) == 0, "the poll finds them", timeout=10)
        assert len(on_broker(broker, topic)) == 4
    finally:
        elsewhere.dispose()
        a.engine.dispose()


def test_a_batch_goes_out_with_one_flush_and_is_marked_sent_with_one_update(
    broker: Broker, migrated: str, topic: str
) -> None:
    producer = CountingProducer(create_producer(kafka(broker), "a"))
    a = Replica(migrated, lambda: producer, SystemClock(), "a")
    try:
        add_events(a.sessions, topic, 25)
        assert a.relay.publish_pending() == 25
        assert (producer.sent, producer.flushes) == (25, 1)
        assert len(a.outbox_sql.starting("UPDATE")) == 1
        assert unsent(a.engine) == 0
        assert len(on_broker(broker, topic)) == 25
    finally:
        a.engine.dispose()


def test_an_idle_holder_writes_its_lease_once_a_quarter_of_its_ttl(
    broker: Broker, migrated: str
) -> None:
    clock = ManualClock(T0)
    a = Replica(migrated, lambda: create_producer(kafka(broker), "a"), clock, "a", lease_seconds=10)
    try:
        assert a.relay.publish_pending() == 0  # takes the lease
        assert lease_expiry(a.engine) == T0 + timedelta(seconds=10)
        writes = len(a.lease_sql.starting("UPDATE"))
        for _ in range(5):
            clock.advance(timedelta(seconds=0.4))
            assert a.relay.publish_pending() == 0
        assert len(a.lease_sql.starting("UPDATE")) == writes  # 2 s in: no write
        clock.advance(timedelta(seconds=0.6))  # a quarter of the ttl since it was taken
        assert a.relay.publish_pending() == 0
        assert lease_expiry(a.engine) == T0 + timedelta(seconds=12.6)
    finally:
        a.engine.dispose()


def test_the_lease_cannot_lapse_while_a_batch_is_out(
    broker: Broker, migrated: str, topic: str
) -> None:
    """a takes the lease, then its producer takes 6 s to connect: a renews before it sends, so
    when b tries during a's flush (5 s later, past a's first expiry) the lease is still a's."""
    clock = ManualClock(T0)
    left_at_send: list[timedelta] = []
    b = Replica(migrated, lambda: create_producer(kafka(broker), "b"), clock, "b")
    b_got: list[int] = []

    def slow_connect() -> CountingProducer:
        clock.advance(timedelta(seconds=6))
        made = CountingProducer(
            create_producer(kafka(broker), "a"),
            on_send=lambda: left_at_send.append(lease_expiry(b.engine) - clock.now()),
        )

        def b_tries() -> None:
            clock.advance(timedelta(seconds=5))  # the longest a flush may take
            b_got.append(b.relay.publish_pending())

        made.on_flush = b_tries
        return made

    a = Replica(migrated, slow_connect, clock, "a")
    try:
        add_events(a.sessions, topic, 10)
        assert a.relay.publish_pending() == 10
        assert left_at_send == [timedelta(seconds=10)]  # renewed after the slow connect
        assert b_got == [0] and b.relay.lease.token is None
        assert unsent(a.engine) == 0
    finally:
        a.engine.dispose()
        b.engine.dispose()


def test_a_replica_without_the_lease_tries_for_it_once_a_poll_not_at_every_commit(
    broker: Broker, migrated: str, topic: str
) -> None:
    clock = ManualClock(T0)
    a = Replica(migrated, lambda: create_producer(kafka(broker), "a"), clock, "a")
    b = Replica(migrated, lambda: create_producer(kafka(broker), "b"), clock, "b", poll_seconds=0.5)
    try:
        assert a.relay.tick() == 0
        assert b.relay.tick() == 0  # refused: a holds it
        tried = len(b.lease_sql.seen)
        add_events(b.sessions, topic, 3)
        for _ in range(5):
            assert b.relay.tick() == 0
        assert len(b.lease_sql.seen) == tried  # not at every commit
        assert b.outbox_sql.looks() == []  # nor a look at rows it may not send
        clock.advance(timedelta(seconds=0.5))
        assert b.relay.tick() == 0
        assert len(b.lease_sql.seen) > tried  # at the next poll it tries again
        assert a.relay.tick() == 3  # the holder publishes b's rows
    finally:
        a.engine.dispose()
        b.engine.dispose()
