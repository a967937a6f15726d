"""Events/s one kit consumer applies, per event (--max-batch 1) or a poll batch per transaction.

Produces `--events` events to a fresh topic of 3 partitions on a broker started for the run
(tools/broker.sh), then starts one EventConsumer and times it until every event's id is
recorded. `--handler trivial` inserts one row per event; `--handler evaluation` runs
evaluation's real handlers (PetitionSubmitted, PetitionAssigned, PetitionStatusChanged) on its
migrated schema.

    .venv/bin/python -m tools.consumer_throughput --db sqlite --handler trivial --max-batch 1
    .venv/bin/python -m tools.consumer_throughput --db postgresql --handler evaluation
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from kafka import KafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer, EventHandler, handler_table
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.events import Event, encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.migrations import migrate
from gridplus.kit.tables import processed_events

ROOT = Path(__file__).resolve().parents[1]
EVALUATION_MIGRATIONS = ROOT / "services/gridplus/evaluation/storage/alembic"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
PARTITIONS = 3

trivial_metadata = MetaData()
trivial_effects = Table(
    "bench_effects",
    trivial_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("petition_id", String(64), nullable=False),
)


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def _events(count: int) -> list[tuple[str, Message]]:
    """Three events per petition, the way petition and dispatch publish them (key, payload)."""
    out: list[tuple[str, Message]] = []
    for i in range(count // 3 + 1):
        pid, at = f"p-{i}", T0 + timedelta(minutes=i)
        grid = common_pb2.GridRef(code=f"G-01-0{1 + i % 3}-0{i % 4}", level=3)
        grid.path.extend(["G-01", f"G-01-0{1 + i % 3}", grid.code])
        out += [
            (
                pid,
                events_pb2.PetitionSubmitted(
                    petition_id=pid, reporter_id=f"r-{i}", submitted_at=_stamp(at)
                ),
            ),
            (
                pid,
                events_pb2.PetitionAssigned(
                    petition_id=pid,
                    grid=grid,
                    assignee_id="w-1",
                    department_code="D-ROADS",
                    assigned_at=_stamp(at + timedelta(minutes=5)),
                    deadline=_stamp(at + timedelta(hours=2)),
                ),
            ),
            (
                pid,
                events_pb2.PetitionStatusChanged(
                    petition_id=pid,
                    from_status=petition_pb2.PETITION_STATUS_ASSIGNED,
                    to_status=petition_pb2.PETITION_STATUS_RESOLVED,
                    actor_id="w-1",
                    changed_at=_stamp(at + timedelta(minutes=9)),
                ),
            ),
        ]
    return out[:count]


def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    for key, payload in _events(count):
        headers = encode_headers(
            event_id=str(uuid.uuid4()),
            ce_type=payload.DESCRIPTOR.full_name,
            source="/gridplus/bench",
            time=T0,
            traceparent=None,
        )
        producer.send(topic, key=key.encode(), value=payload.SerializeToString(), headers=headers)
    producer.flush(60)
    producer.close()


def _trivial(session: Session, event: Event) -> None:
    session.execute(trivial_effects.insert().values(petition_id=event.key))


def handlers(kind: str) -> dict[str, EventHandler]:
    if kind == "trivial":
        return handler_table(
            (events_pb2.PetitionSubmitted, _trivial),
            (events_pb2.PetitionAssigned, _trivial),
            (events_pb2.PetitionStatusChanged, _trivial),
        )
    from gridplus.evaluation.messaging.consumers import HANDLERS

    return dict(HANDLERS)


def database_url(kind: str, var: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{var}/bench.db", None
    import psycopg

    admin = os.environ.get(
        "GRIDPLUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"gridplus_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin.rsplit('/', 1)[0]}/{name}", name


def drop(name: str) -> None:
    import psycopg

    admin = os.environ.get(
        "GRIDPLUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def applied(sessions: object, name: str) -> int:
    with transaction(sessions) as session:  # type: ignore[arg-type]
        query = select(func.count()).where(processed_events.c.consumer == name)
        return int(session.execute(query).scalar_one())


def run(args: argparse.Namespace, bootstrap: str, var: Path) -> tuple[float, float]:
    """Events/s applied, and this process's CPU ms per event (all its threads; on PostgreSQL
    the server's share is not in it): on a shared machine the CPU figure is the steadier."""
    url, pg_name = database_url(args.db, var)
    engine = create_database_engine(url)
    try:
        migrate(engine, EVALUATION_MIGRATIONS if args.handler == "evaluation" else None)
        trivial_metadata.create_all(engine)
        sessions = create_session_factory(engine)
        settings = KafkaSettings(bootstrap, "PLAINTEXT", None, None, None, None, PARTITIONS, 1)
        topic = f"bench.{uuid.uuid4().hex[:8]}.events.v1"
        ensure_topics(settings, [topic, f"{topic}.dlq"])
        produce(bootstrap, topic, args.events)
        name = f"bench-{uuid.uuid4().hex[:6]}"
        consumer = EventConsumer(
            name=name,
            topics=[topic],
            handlers=handlers(args.handler),
            sessions=sessions,
            consumer_factory=lambda: create_consumer(settings, name, "bench"),
            producer_factory=lambda: create_producer(settings, "bench-dlq"),
            clock=SystemClock(),
            max_batch=args.max_batch,
        )
        stop = threading.Event()
        thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
        thread.start()
        # Timed from the first event applied: joining the group is not the consumer's speed.
        while (first := applied(sessions, name)) == 0:
            time.sleep(0.01)
        started, cpu_started = time.perf_counter(), time.process_time()
        while applied(sessions, name) < args.events:
            time.sleep(0.05)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        stop.set()
        thread.join(15)
        return (args.events - first) / elapsed, cpu * 1000 / (args.events - first)
    finally:
        engine.dispose()
        if pg_name:
            drop(pg_name)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.consumer_throughput")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--handler", choices=["trivial", "evaluation"], default="trivial")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--max-batch", type=int, default=200)
    parser.add_argument("--bootstrap", help="an already running broker; else one is started")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        var = Path(var_dir)
        broker = None
        if args.bootstrap is None:
            from tests.support.broker import Broker

            broker = Broker(var / "broker").start()
        try:
            rate, cpu_ms = run(args, args.bootstrap or broker.bootstrap, var)  # type: ignore[union-attr]
        finally:
            if broker is not None:
                broker.stop()
    load = os.getloadavg()
    print(
        f"db={args.db} handler={args.handler} max_batch={args.max_batch} events={args.events}: "
        f"{rate:,.0f} events/s, {cpu_ms:.2f} CPU ms/event "
        f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )


if __name__ == "__main__":
    main()
