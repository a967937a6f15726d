"""Two outbox relays on one PostgreSQL database and the real broker: one publishes; when it loses
its database connection (pg_terminate_backend, no way back in) the other takes over within
seconds and publishes; an old holder cannot record a batch after losing the lease (fencing); a
holder that cannot reach the broker gives the lease up."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import Engine, func, select

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import Clock, ManualClock, SystemClock
from gridplus.kit.config import Env, KafkaSettings
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.kafka import create_producer, ensure_topics
from gridplus.kit.lease import leases
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox, OutboxRelay
from gridplus.kit.tables import outbox_messages
from tests.support.broker import Broker
from tests.support.eventually import eventually
from tests.support.ports import free_port
from tests.support.postgres import create_database, drop_database

pytestmark = pytest.mark.integration


def kafka(broker: Broker) -> KafkaSettings:
    return KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)


@pytest.fixture
def database() -> Iterator[str]:
    name, url = create_database("gridplus_relay")
    engine = create_database_engine(url)
    migrate(engine, None)
    engine.dispose()
    yield url
    drop_database(name)


@pytest.fixture
def topic(broker: Broker) -> str:
    name = f"test.{uuid.uuid4().hex[:8]}.events.v1"
    ensure_topics(kafka(broker), [name])
    return name


class TcpProxy:
    """A loopback TCP relay to PostgreSQL that a test can cut: open connections are dropped and
    new ones refused, as when a pod loses its network path to the database."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self._target = target_port
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def refuse(self) -> None:
        """New connections are refused; open ones stay."""
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
            listener.close()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        for sock in [s for s in [listener] if s is not None] + sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)


class CountingProducer:
    """A real producer that counts what it was asked to send and can run a hook in flush."""

    def __init__(self, producer: KafkaProducer, on_flush: Callable[[], None] | None = None):
        self.producer = producer
        self.sent = 0
        self.on_flush = on_flush

    def send(self, *args: Any, **kwargs: Any) -> Any:
        self.sent += 1
        return self.producer.send(*args, **kwargs)

    def flush(self, timeout: float | None = None) -> None:
        self.producer.flush(timeout=timeout)
        if self.on_flush is not None:
            hook, self.on_flush = self.on_flush, None
            hook()

    def close(self, timeout: float | None = None) -> None:
        self.producer.close(timeout=timeout)


def relay_on(url: str, broker: Broker, clock: Clock, holder: str, **options: Any) -> OutboxRelay:
    engine = create_database_engine(url)
    return OutboxRelay(
        engine,
        create_session_factory(engine),
        lambda: create_producer(kafka(broker), holder),
        clock,
        name="outbox-relay:test",
        holder=holder,
        **options,
    )


def add_events(url: str, topic: str, count: int) -> None:
    engine = create_database_engine(url)
    outbox = Outbox(topic=topic, source="/gridplus/test", clock=SystemClock())
    with transaction(create_session_factory(engine)) as session:
        for _ in range(count):
            petition_id = uuid.uuid4().hex
            payload = events_pb2.PetitionSubmitted(petition_id=petition_id, title="路灯不亮")
            outbox.add(session, payload, key=petition_id)
    engine.dispose()


def unsent(engine: Engine) -> int:
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count()).where(outbox_messages.c.sent_at.is_(None))
        ).scalar_one()
    return int(count)


def holder_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(select(leases.c.holder)).scalar()


def event_ids_on(broker: Broker, topic: str) -> set[str]:
    reader = KafkaConsumer(bootstrap_servers=broker.bootstrap, consumer_timeout_ms=2000)
    partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
    reader.assign(partitions)
    reader.seek_to_beginning()
    ids = {dict(m.headers)["ce_id"].decode() for m in reader}
    reader.close()
    return ids


def run(relay: OutboxRelay) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def test_the_other_relay_takes_over_within_seconds_when_the_holder_loses_its_database(
    broker: Broker, database: str, topic: str
) -> None:
    port = int(database.rsplit(":", 1)[1].split("/", 1)[0])
    proxy = TcpProxy(port).start()
    behind_proxy = database.replace(f":{port}/", f":{proxy.port}/") + "?application_name=relay-a"
    a = relay_on(behind_proxy, broker, SystemClock(), "relay-a", lease_seconds=2.0)
    b = relay_on(database, broker, SystemClock(), "relay-b", lease_seconds=2.0)
    watcher = create_database_engine(database)
    stop_a, thread_a = run(a)
    try:
        add_events(database, topic, 20)
        eventually(lambda: unsent(watcher) == 0, "relay a publishes the first 20")
        assert holder_of(watcher) == "relay-a"
        stop_b, thread_b = run(b)
        # a holds the lease: b publishes nothing while a is healthy.
        add_events(database, topic, 5)
        eventually(lambda: unsent(watcher) == 0, "relay a publishes the next 5")
        assert holder_of(watcher) == "relay-a"

        proxy.refuse()  # a cannot get back in
        with watcher.connect() as connection:
            killed = connection.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'relay-a'"
            ).scalar_one()
            connection.commit()
        assert killed >= 1
        proxy.cut()
        cut_at = time.monotonic()
        add_events(database, topic, 20)
        eventually(lambda: unsent(watcher) == 0, "relay b takes over and publishes", timeout=15)
        assert holder_of(watcher) == "relay-b"
        assert time.monotonic() - cut_at < 10
        assert a.lease.token is None  # a knows it lost the lease
        assert len(event_ids_on(broker, topic)) == 45
    finally:
        stop_a.set()
        thread_a.join(15)
        if "stop_b" in locals():
            stop_b.set()
            thread_b.join(15)
        watcher.dispose()


RELAY_PROCESS = """
import sys, threading
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.db import create_database_engine, create_session_factory
from gridplus.kit.kafka import create_producer
from gridplus.kit.outbox import OutboxRelay

url, bootstrap = sys.argv[1], sys.argv[2]
settings = KafkaSettings(bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
engine = create_database_engine(url)
relay = OutboxRelay(
    engine, create_session_factory(engine), lambda: create_producer(settings, "relay-dead"),
    SystemClock(), name="outbox-relay:test", holder="relay-dead", lease_seconds=2.0,
)
relay.run(threading.Event())
"""


def test_the_other_relay_takes_over_within_seconds_when_the_holder_is_killed(
    broker: Broker, database: str, topic: str
) -> None:
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", RELAY_PROCESS, database, broker.bootstrap],
        env={**os.environ, "PYTHONPATH": str(root / "services")},
    )
    watcher = create_database_engine(database)
    b = relay_on(database, broker, SystemClock(), "relay-b", lease_seconds=2.0)
    stop_b: threading.Event | None = None
    try:
        add_events(database, topic, 10)
        eventually(lambda: unsent(watcher) == 0, "the relay process publishes", timeout=30)
        assert holder_of(watcher) == "relay-dead"
        stop_b, thread_b = run(b)
        os.kill(holder.pid, signal.SIGKILL)  # no release, no goodbye
        holder.wait(10)
        killed_at = time.monotonic()
        add_events(database, topic, 10)
        eventually(lambda: unsent(watcher) == 0, "relay b takes over and publishes", timeout=15)
        assert holder_of(watcher) == "relay-b"
        assert time.monotonic() - killed_at < 8  # one 2 s ttl plus polling
        assert len(event_ids_on(broker, topic)) == 20
    finally:
        if holder.poll() is None:
            holder.kill()
        if stop_b is not None:
            stop_b.set()
            thread_b.join(15)
        watcher.dispose()


def test_an_old_holder_cannot_record_a_batch_after_losing_the_lease(
    broker: Broker, database: str, topic: str
) -> None:
    """a sends a batch; while it is out, a stalls past its ttl and b takes over and publishes:
    a's "sent" marks are refused, and a sends nothing more."""
    clock = ManualClock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    b = relay_on(database, broker, clock, "relay-b")
    b_published: list[int] = []

    def b_takes_over() -> None:
        clock.advance(timedelta(seconds=11))  # a's 10 s lease ran out while it was sending
        b_published.append(b.publish_pending())

    producer = CountingProducer(create_producer(kafka(broker), "relay-a"), b_takes_over)
    engine = create_database_engine(database)
    sessions = create_session_factory(engine)
    a = OutboxRelay(
        engine, sessions, lambda: producer, clock, name="outbox-relay:test", holder="relay-a"
    )
    try:
        add_events(database, topic, 10)
        assert a.publish_pending() == 0  # its marks were fenced off
        assert b_published == [10]
        assert holder_of(engine) == "relay-b"
        with engine.connect() as connection:
            sent_at = connection.execute(select(outbox_messages.c.sent_at)).scalars().all()
        assert set(sent_at) == {clock.now()}  # marked by b, after the takeover
        add_events(database, topic, 5)
        sends = producer.sent
        assert a.publish_pending() == 0
        assert producer.sent == sends  # the old holder publishes nothing more
        assert b.publish_pending() == 5
    finally:
        engine.dispose()


def test_a_holder_that_cannot_reach_the_broker_gives_the_lease_up(
    broker: Broker, database: str, topic: str
) -> None:
    clock = ManualClock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    unreachable = replace(
        KafkaSettings.from_env(Env({})), bootstrap_servers=f"127.0.0.1:{free_port()}"
    )
    engine = create_database_engine(database)
    a = OutboxRelay(
        engine,
        create_session_factory(engine),
        lambda: create_producer(unreachable, "relay-a"),
        clock,
        name="outbox-relay:test",
        holder="relay-a",
        give_up_seconds=30,
    )
    b = relay_on(database, broker, clock, "relay-b", give_up_seconds=30)
    try:
        add_events(database, topic, 10)
        assert a.tick() is None  # holds the lease, cannot reach the broker
        assert holder_of(engine) == "relay-a"
        assert b.tick() == 0
        clock.advance(timedelta(seconds=20))
        assert a.tick() is None
        assert holder_of(engine) == "relay-a"  # not yet: 20 s of failures
        clock.advance(timedelta(seconds=11))
        assert a.tick() is None  # 31 s: it gives the lease up
        assert holder_of(engine) is None
        assert b.tick() == 10  # b takes over at once and publishes
        assert holder_of(engine) == "relay-b"
        assert a.tick() == 0  # a stands by
        assert len(event_ids_on(broker, topic)) == 10
    finally:
        engine.dispose()
