"""The floor under the whole path: raw broker and raw database rates on this machine, now."""

from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from gridplus.kit.config import Env, KafkaSettings
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.kafka import create_consumer


def broker_rates(bootstrap: str, count: int = 20_000, size: int = 300) -> tuple[float, float]:
    """(produce msg/s with acks=all, consume msg/s) on one fresh topic."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    payload = b"x" * size
    started = time.perf_counter()
    for n in range(count):
        producer.send(topic, key=str(n % 64).encode(), value=payload)
    producer.flush()
    produce = count / (time.perf_counter() - started)
    producer.close()
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=5000
    )
    received = 0
    started = time.perf_counter()
    for _ in consumer:
        received += 1
        if received == count:
            break
    consume = received / (time.perf_counter() - started)
    consumer.close()
    return produce, consume


def empty_poll_cpu(bootstrap: str, topic: str, polls: int = 300, pause: float = 0.005) -> float:
    """CPU ms of one empty poll(0) of a caught-up group member on `topic` (an idle topic of the
    stack: every partition assigned, nothing to fetch), built as the kit builds the services'
    consumers, with a pause between polls as a caught-up consumer takes: what a consumer pays
    each time it looks and finds nothing (noida-db answers an empty fetch at once, so it looks
    often)."""
    settings = KafkaSettings.from_env(Env({"GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS": bootstrap}))
    group = f"bench-empty-poll-{uuid.uuid4().hex[:8]}"
    consumer = create_consumer(settings, group, group, auto_offset_reset="latest")
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200)  # join the group and take the positions
        _poll_empty(consumer, 20, pause)  # the first fetches after joining
        started = time.process_time()
        _poll_empty(consumer, polls, pause)
        return (time.process_time() - started) / polls * 1e3
    finally:
        consumer.close()


def _poll_empty(consumer: KafkaConsumer, polls: int, pause: float) -> None:
    for _ in range(polls):
        consumer.poll(timeout_ms=0)
        time.sleep(pause)


def database_insert_rate(url: str, count: int = 3_000) -> float:
    """Single-row transactions per second with the kit's settings (SQLite: WAL, IMMEDIATE;
    PostgreSQL: the kit's pool), the shape of one petition's intake."""
    engine = create_database_engine(url)
    table = Table("rows", MetaData(), Column("id", Integer, primary_key=True), Column("v", String))
    table.metadata.create_all(engine)
    sessions = create_session_factory(engine)
    started = time.perf_counter()
    for n in range(count):
        with transaction(sessions) as session:
            session.execute(insert(table).values(v=f"row {n}"))
    rate = count / (time.perf_counter() - started)
    engine.dispose()
    return rate
