"""The idempotent consumer loop.

For each poll: record the events' ids and apply their effects in one database transaction
(kit/batch.py; at most `max_batch` events each, the poll's partitions together); the Kafka
offsets follow at most once a second, and whenever the consumer runs out of events
(kit/offsets.py). A redelivered event finds its id already recorded and changes nothing. A
batch that fails is applied again one event at a time: failures a retry can cure (database
busy, a dependency UNAVAILABLE) are retried until they pass; any other failure is retried a
bounded number of times, then the event goes to `<topic>.dlq`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import grpc
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select

from gridplus.kit import metrics
from gridplus.kit.batch import (
    DEFAULT_MAX_BATCH,
    BatchApplier,
    EventHandler,
    Prepared,
    ReadAhead,
    apply_handler,
)
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import TransientError
from gridplus.kit.events import Event, MalformedEvent, decode
from gridplus.kit.idle import DEFAULT_IDLE_PAUSE, PATH_IDLE_PAUSE, IdlePause
from gridplus.kit.offsets import DEFAULT_COMMIT_INTERVAL_SECONDS, PendingOffsets
from gridplus.kit.tables import processed_events
from gridplus.kit.topology import dlq_topic
from gridplus.kit.tracing import continued_from

log = logging.getLogger(__name__)

# Handlers import these from here; they live beside the batch that applies them.
__all__ = [
    "DEFAULT_IDLE_PAUSE",
    "PATH_IDLE_PAUSE",
    "EventConsumer",
    "EventHandler",
    "IdlePause",
    "Prepared",
    "ReadAhead",
    "RetryPolicy",
    "handler_table",
]


_TRANSIENT_GRPC = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}


def is_transient(error: BaseException) -> bool:
    if isinstance(error, TransientError | sa_exc.OperationalError):
        return True
    return isinstance(error, grpc.RpcError) and error.code() in _TRANSIENT_GRPC  # type: ignore[attr-defined]


def _group_needs_work(consumer: KafkaConsumer) -> bool:
    """Joining, rejoining or finding the coordinator only completes inside a blocking poll."""
    coordinator = getattr(consumer, "_coordinator", None)  # kafka-python 3.0 internals, pinned
    if coordinator is None:
        return not consumer.assignment()
    return bool(
        not consumer.assignment() or coordinator.coordinator_unknown() or coordinator.need_rejoin()
    )


class _Stopping(Exception):
    """Shutdown arrived while an event was being retried: leave it for the next owner."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    first_backoff_seconds: float = 0.2
    max_backoff_seconds: float = 10.0

    def backoff(self, attempt: int) -> float:
        return min(self.max_backoff_seconds, self.first_backoff_seconds * 2 ** (attempt - 1))


class EventConsumer:
    """Consumes topics as one consumer group and applies events through `handlers`.

    `handlers` maps a CloudEvents type (the payload's full protobuf name) to a function that
    applies it inside the given session; types without a handler are skipped.
    """

    def __init__(
        self,
        *,
        name: str,
        topics: list[str],
        handlers: Mapping[str, EventHandler],
        sessions: SessionFactory,
        consumer_factory: Callable[[], KafkaConsumer],
        producer_factory: Callable[[], KafkaProducer],
        clock: Clock,
        retry: RetryPolicy | None = None,
        after_commit: Callable[[], None] | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
        commit_interval_seconds: float = DEFAULT_COMMIT_INTERVAL_SECONDS,
        idle_pause: IdlePause = DEFAULT_IDLE_PAUSE,
    ) -> None:
        self.name = name
        self._topics = topics
        self._handlers = dict(handlers)
        self._sessions = sessions
        self._consumer_factory = consumer_factory
        self._producer_factory = producer_factory
        self._dlq_producer: KafkaProducer | None = None
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._after_commit = after_commit or (lambda: None)
        self._idle_seconds = 0.0
        # Never 0: a consumer that polls again at once spins a core against noida-db.
        self._idle_pause = replace(
            idle_pause, first=max(0.001, idle_pause.first), most=max(0.001, idle_pause.most)
        )
        # 1 keeps the per-event path: one transaction per event, as before batching.
        self._max_batch = max(1, max_batch)
        self._offsets = PendingOffsets(commit_interval_seconds)
        self._batches = BatchApplier(
            name=name,
            handlers=self._handlers,
            sessions=sessions,
            clock=clock,
            after_commit=self._after_commit,
        )

    def run(self, stop: threading.Event) -> None:
        consumer = self._connect(stop)
        if consumer is None:
            return
        try:
            while not stop.is_set():
                try:
                    self._poll_once(consumer, stop)
                except CommitFailedError:
                    # The group rebalanced under us: whatever was applied but not committed is
                    # redelivered to the partition's new owner and skipped there as a duplicate.
                    log.warning("offset commit refused after a rebalance; events are redelivered")
                except KafkaError as exc:
                    # The broker is away: kafka-python reconnects by itself; wait and poll again.
                    log.warning("broker unavailable to the consumer", extra={"error": repr(exc)})
                    stop.wait(1.0)
        finally:
            self._offsets.commit_on_stop(consumer)
            consumer.close(autocommit=False)
            if self._dlq_producer is not None:
                self._dlq_producer.close(timeout=5)

    def _poll_once(self, consumer: KafkaConsumer, stop: threading.Event) -> None:
        # poll(0) and our own growing pause when idle, instead of a blocking poll: a broker that
        # answers an empty fetch at once instead of holding it for fetch_max_wait_ms (noida-db,
        # the development broker, does) would otherwise keep the client spinning a whole core.
        # Against Apache Kafka this changes nothing: one fetch per partition is in flight anyway.
        batches = consumer.poll(timeout_ms=500 if _group_needs_work(consumer) else 0)
        if not batches:
            self._offsets.commit(consumer)  # caught up: an idle group shows no lag
            self._idle_seconds = self._idle_pause.after(self._idle_seconds)
            stop.wait(self._idle_seconds)
            return
        self._idle_seconds = 0.0
        # Every partition's records in one list (each partition's in offset order), applied in
        # as few transactions as the batch rules allow: a poll at a modest rate holds a record
        # or two of each of several partitions, and a transaction per partition was most of
        # what a consumed event cost.
        records = [record for partition_records in batches.values() for record in partition_records]
        try:
            stopped_at = self._apply_records(records, stop)
        except KafkaError:
            # poll() has moved this consumer's position past every record it returned; the
            # dead-letter producer failing midway leaves some unapplied, and the next poll
            # would fetch past them (and a later commit skip them for good). Rewind them all:
            # those already applied come back as duplicates and change nothing.
            self._rewind(consumer, batches)
            raise
        for partition, partition_records in batches.items():
            if stopped_at is not None and partition == _partition_of(stopped_at):
                if stopped_at.offset > partition_records[0].offset:
                    self._offsets.applied(partition, stopped_at.offset)
                return  # shutting down: the rest is redelivered to the next owner
            self._offsets.applied(partition, partition_records[-1].offset + 1)
        self._offsets.commit_if_due(consumer)
        if not self._record_lag(consumer) and self._idle_pause.after_batch > 0:
            # Caught up: at a modest rate the poll right after a batch finds nothing, and an
            # empty poll costs more CPU than most events (~1.5-2 ms in kafka-python against
            # noida-db). Wait instead, so the next poll finds what came meanwhile.
            stop.wait(self._idle_pause.after_batch)

    @staticmethod
    def _rewind(
        consumer: KafkaConsumer, unapplied: Mapping[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        still_ours = consumer.assignment()
        for partition, records in unapplied.items():
            # A partition the group took away is fetched by its new owner from the commit.
            if partition in still_ours:
                consumer.seek(partition, records[0].offset)

    def _connect(self, stop: threading.Event) -> KafkaConsumer | None:
        backoff = 0.5
        while not stop.is_set():
            try:
                consumer = self._consumer_factory()
                consumer.subscribe(self._topics)
                return consumer
            except Exception as exc:  # broker not reachable yet: keep trying until stopped
                log.warning("consumer cannot reach the broker", extra={"error": repr(exc)})
                stop.wait(backoff)
                backoff = min(10.0, backoff * 2)
        return None

    def _apply_records(
        self, records: list[ConsumerRecord], stop: threading.Event
    ) -> ConsumerRecord | None:
        """Apply a poll's records; None when all were, else the first one shutdown left
        unapplied (it and the records after it in `records` are redelivered later).

        The caller commits the offsets only after the database has committed: a crash in
        between redelivers a few events, which the processed-event records turn into no-ops.
        """
        if self._max_batch == 1:
            return self._apply_one_by_one(records, stop)
        for start in range(0, len(records), self._max_batch):
            chunk = records[start : start + self._max_batch]
            stopped_at = self._batches.apply(
                chunk, lambda record, attempts: self._one_by_one(record, stop, attempts)
            )
            if stopped_at is not None:
                return stopped_at
        return None

    def _one_by_one(self, record: ConsumerRecord, stop: threading.Event, attempts: int) -> bool:
        """The per-event path for one record of a batch; False when shutdown interrupted it."""
        try:
            self.process(record, stop, attempts_used=attempts)
        except _Stopping:
            return False
        return True

    def _apply_one_by_one(
        self, records: list[ConsumerRecord], stop: threading.Event
    ) -> ConsumerRecord | None:
        for record in records:
            try:
                self.process(record, stop)
            except _Stopping:
                return record
        return None

    def process(
        self, record: ConsumerRecord, stop: threading.Event, *, attempts_used: int = 0
    ) -> str:
        """Apply one record; returns the outcome (applied, duplicate, ignored, dead_lettered).
        `attempts_used`: attempts already spent on it (in a batch that failed on it)."""
        try:
            event = decode(record.key, record.value, record.headers)
        except MalformedEvent as exc:
            self._dead_letter(record, str(exc))
            metrics.EVENTS_CONSUMED.labels(self.name, "malformed", "dead_lettered").inc()
            return "dead_lettered"
        handler = self._handlers.get(event.type)
        if handler is None:
            metrics.EVENTS_CONSUMED.labels(self.name, event.type, "ignored").inc()
            return "ignored"
        with continued_from(event.traceparent, f"consume {event.type}", consumer=self.name):
            outcome = self._apply_with_retries(handler, event, record, stop, attempts_used)
        metrics.EVENTS_CONSUMED.labels(self.name, event.type, outcome).inc()
        return outcome

    def _apply_with_retries(
        self,
        handler: EventHandler,
        event: Event,
        record: ConsumerRecord,
        stop: threading.Event,
        attempts_used: int,
    ) -> str:
        attempt = attempts_used
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                outcome = self._apply_once(handler, event)
                metrics.EVENT_HANDLING.labels(self.name, event.type).observe(
                    time.perf_counter() - started
                )
                return outcome
            except Exception as exc:
                transient = is_transient(exc)
                if not transient and attempt >= self._retry.max_attempts:
                    log.error(
                        "event failed every retry; sent to the dead-letter topic",
                        extra={"event_id": event.id, "ce_type": event.type, "error": repr(exc)},
                    )
                    self._dead_letter(record, repr(exc))
                    return "dead_lettered"
                log.warning(
                    "event failed, retrying",
                    extra={"event_id": event.id, "attempt": attempt, "error": repr(exc)},
                )
                if stop.wait(self._retry.backoff(min(attempt, 10))):
                    raise _Stopping() from exc

    def _apply_once(self, handler: EventHandler, event: Event) -> str:
        # A duplicate also runs `prepare` (its remote calls are wasted, rare, and harmless);
        # checking first would cost every event one more transaction.
        prepared = handler.prepare(event) if isinstance(handler, Prepared) else None
        try:
            with transaction(self._sessions) as session:
                seen = session.execute(
                    select(processed_events.c.event_id).where(
                        processed_events.c.consumer == self.name,
                        processed_events.c.event_id == event.id,
                    )
                ).first()
                if seen is not None:
                    return "duplicate"
                apply_handler(handler, session, event, prepared)
                session.execute(
                    insert(processed_events).values(
                        consumer=self.name, event_id=event.id, processed_at=self._clock.now()
                    )
                )
        except sa_exc.IntegrityError:
            # Another member of the group applied it concurrently (during a rebalance).
            if self._already_processed(event.id):
                return "duplicate"
            raise
        self._after_commit()
        return "applied"

    def _already_processed(self, event_id: str) -> bool:
        with transaction(self._sessions) as session:
            row = session.execute(
                select(processed_events.c.event_id).where(
                    processed_events.c.consumer == self.name,
                    processed_events.c.event_id == event_id,
                )
            ).first()
        return row is not None

    def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        if self._dlq_producer is None:
            self._dlq_producer = self._producer_factory()
        headers = [
            *(record.headers or []),
            ("x-gridplus-error", reason[:1000].encode()),
            ("x-gridplus-consumer", self.name.encode()),
            ("x-gridplus-original-topic", record.topic.encode()),
            ("x-gridplus-original-partition", str(record.partition).encode()),
            ("x-gridplus-original-offset", str(record.offset).encode()),
        ]
        future = self._dlq_producer.send(
            dlq_topic(record.topic), key=record.key, value=record.value, headers=headers
        )
        future.get(timeout=30)  # the offset is committed only once the DLQ has the event

    def _record_lag(self, consumer: KafkaConsumer) -> bool:
        """Sets the lag gauges from the last fetch's high-water marks; True while behind."""
        behind = False
        for partition in consumer.assignment():
            highwater = consumer.highwater(partition)
            if highwater is None:
                continue
            lag = max(0, highwater - consumer.position(partition))
            metrics.CONSUMER_LAG.labels(self.name, partition.topic, str(partition.partition)).set(
                lag
            )
            behind = behind or lag > 0
        return behind


def _partition_of(record: ConsumerRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


def handler_table(*pairs: tuple[type[Any], EventHandler]) -> dict[str, EventHandler]:
    """A handler table keyed by payload type: handler_table((PetitionAssigned, on_assigned))."""
    return {message_type.DESCRIPTOR.full_name: handler for message_type, handler in pairs}
