"""Transactional outbox: an event is written in the same transaction as the change it reports,
and a relay publishes it to Kafka afterwards (acks=all), so a broker outage never loses or
blocks intake.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message
from kafka import KafkaProducer
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

from gridplus.kit import metrics
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, is_sqlite, transaction
from gridplus.kit.events import encode_headers
from gridplus.kit.tables import outbox_messages
from gridplus.kit.tracing import current_traceparent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outbox:
    """What a unit of work needs to record events: where they go and who they come from."""

    topic: str
    source: str
    clock: Clock

    def add(self, session: Session, payload: Message, *, key: str) -> str:
        """Record `payload` for publishing; returns the event id. Call inside the transaction."""
        event_id = str(uuid.uuid4())
        now = self.clock.now()
        session.execute(
            insert(outbox_messages).values(
                event_id=event_id,
                topic=self.topic,
                key=key,
                ce_type=payload.DESCRIPTOR.full_name,
                ce_source=self.source,
                ce_time=now,
                payload=payload.SerializeToString(),
                traceparent=current_traceparent(),
                created_at=now,
            )
        )
        return event_id


class _Lease:
    """Only one relay per database publishes at a time, so per-key order survives replicas.

    PostgreSQL: a session advisory lock on a dedicated connection. SQLite is one process.
    """

    _KEY = 0x6772_6964_706C  # "gridpl"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Any = None

    def hold(self) -> bool:
        if is_sqlite(self._engine):
            return True
        if self._connection is not None:
            return True
        connection = self._engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._KEY})
        if got.scalar():
            connection.commit()
            self._connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closing the session frees the advisory lock
            self._connection = None


class OutboxRelay:
    """Publishes unsent outbox rows in id order and marks them sent after the broker acks."""

    def __init__(
        self,
        engine: Engine,
        sessions: SessionFactory,
        producer_factory: Callable[[], KafkaProducer],
        clock: Clock,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._clock = clock
        self._lease = _Lease(engine)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._wake = threading.Event()

    def wake(self) -> None:
        """Publish soon: called after a transaction that wrote events commits."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        backoff = 0.0
        while not stop.is_set():
            try:
                published = self.publish_pending() if self._lease.hold() else 0
                backoff = 0.0
            except Exception as exc:  # broker or database away: keep the rows, retry later
                metrics.OUTBOX_PUBLISH_FAILURES.inc()
                log.warning("outbox publish failed, will retry", extra={"error": repr(exc)})
                self._drop_producer()
                backoff = min(self._max_backoff, max(0.1, backoff * 2))
                stop.wait(backoff)
                continue
            if published < self._batch_size:
                self._wake.wait(self._poll_seconds)
                self._wake.clear()
        self._shutdown()

    def publish_pending(self) -> int:
        """Publish one batch; returns how many events the broker acknowledged."""
        with transaction(self._sessions) as session:
            rows = session.execute(
                select(outbox_messages)
                .where(outbox_messages.c.sent_at.is_(None))
                .order_by(outbox_messages.c.id)
                .limit(self._batch_size)
            ).all()
            metrics.OUTBOX_BACKLOG.set(self._backlog(session, len(rows)))
        if not rows:
            return 0
        producer = self._ensure_producer()
        futures = [
            producer.send(
                row.topic,
                key=row.key.encode(),
                value=row.payload,
                headers=encode_headers(
                    event_id=row.event_id,
                    ce_type=row.ce_type,
                    source=row.ce_source,
                    time=row.ce_time,
                    traceparent=row.traceparent,
                ),
            )
            for row in rows
        ]
        producer.flush(timeout=15)
        acked = self._acknowledged_prefix(futures)
        if acked:
            self._mark_sent([row.id for row in rows[:acked]])
            for row in rows[:acked]:
                metrics.OUTBOX_PUBLISHED.labels(row.topic).inc()
        if acked < len(rows):
            self._record_failure(rows[acked].id, futures[acked].exception)
            raise RuntimeError(f"broker did not acknowledge event {rows[acked].event_id}")
        return acked

    @staticmethod
    def _acknowledged_prefix(futures: list[Any]) -> int:
        # Only the leading run of acks is marked sent: the rest are resent in order later
        # (consumers drop the duplicates), so one key's events never overtake each other.
        for index, future in enumerate(futures):
            if not future.is_done or future.failed():
                return index
        return len(futures)

    def _backlog(self, session: Session, batch: int) -> int:
        if batch < self._batch_size:
            return batch
        count = session.execute(
            select(func.count()).where(outbox_messages.c.sent_at.is_(None))
        ).scalar_one()
        return int(count)

    def _mark_sent(self, ids: list[int]) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id.in_(ids))
                .values(sent_at=self._clock.now())
            )

    def _record_failure(self, row_id: int, error: Any) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id == row_id)
                .values(attempts=outbox_messages.c.attempts + 1, last_error=repr(error)[:2000])
            )

    def _ensure_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = self._producer_factory()
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # closing a broken producer may fail too; it is discarded anyway
                log.debug("producer close failed", exc_info=True)
            self._producer = None

    def _shutdown(self) -> None:
        """On SIGTERM: one last attempt to publish what is pending, then close."""
        try:
            if self._lease.hold():
                self.publish_pending()
        except Exception:
            log.warning("outbox not fully published at shutdown; it is kept for next start")
        finally:
            self._drop_producer()
            self._lease.release()
