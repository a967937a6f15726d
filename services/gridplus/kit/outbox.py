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
from datetime import datetime, timedelta
from typing import Any

from google.protobuf.message import Message
from kafka import KafkaProducer
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from gridplus.kit import metrics
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import encode_headers
from gridplus.kit.lease import Lease, LeaseLost, new_holder_id
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


class OutboxRelay:
    """Publishes unsent outbox rows in id order and marks them sent after the broker acks.

    Only the replica holding the relay's lease (`kit.lease`, named per service) publishes, so
    per-key order survives replicas. The lease is renewed before every batch and checked in the
    transaction that marks the batch sent (fencing): a relay that lost it publishes nothing
    more and records nothing. A flush is bounded by half the ttl, so a batch sent under a
    renewed lease is finished before anyone else can take it (Kafka itself cannot fence a plain
    producer: a send that outlives the lease at worst repeats events, which consumers drop by
    event id; the "sent" marks are what the fence guards). A holder that cannot reach the
    broker for `give_up_seconds` releases the lease and stands by for one ttl, so a healthy
    replica takes over; a holder that dies or loses its database is replaced within one ttl.
    """

    def __init__(
        self,
        engine: Engine,
        sessions: SessionFactory,
        producer_factory: Callable[[], KafkaProducer],
        clock: Clock,
        *,
        name: str = "outbox-relay",
        holder: str | None = None,
        lease_seconds: float = 10.0,
        give_up_seconds: float = 30.0,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._clock = clock
        self.lease = Lease(
            sessions, name, holder or new_holder_id(name), timedelta(seconds=lease_seconds), clock
        )
        self._flush_seconds = min(15.0, lease_seconds / 2)
        self._give_up = timedelta(seconds=give_up_seconds)
        self._failing_since: datetime | None = None
        self._standby_until: datetime | None = None
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
            published = self.tick()
            if published is None:  # broker or database away: keep the rows, retry later
                backoff = min(self._max_backoff, max(0.1, backoff * 2))
                stop.wait(backoff)
                continue
            backoff = 0.0
            if published < self._batch_size:
                self._wake.wait(self._poll_seconds)
                self._wake.clear()
        self._shutdown()

    def tick(self) -> int | None:
        """One step of the loop: publish a batch if this replica holds the lease. Returns how
        many events were published, or None after a failure (the caller backs off)."""
        try:
            published = self.publish_pending()
        except Exception as exc:
            metrics.OUTBOX_PUBLISH_FAILURES.inc()
            log.warning("outbox publish failed, will retry", extra={"error": repr(exc)})
            self._drop_producer()
            self._after_failure()
            return None
        self._failing_since = None
        return published

    def publish_pending(self) -> int:
        """Publish one batch if this replica holds the lease; returns how many events the
        broker acknowledged (0 when another replica publishes)."""
        if not self._keep_lease():
            return 0
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
        producer = self._ensure_producer()  # connecting may take seconds: renew after it
        if not self.lease.renew():
            metrics.OUTBOX_RELAY_LEADER.set(0)
            return 0
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
        producer.flush(timeout=self._flush_seconds)
        acked = self._acknowledged_prefix(futures)
        if acked:
            try:
                self._mark_sent([row.id for row in rows[:acked]])
            except LeaseLost:
                # Another replica took over while this batch was out: it publishes (and marks)
                # these rows itself; consumers drop the copies by event id.
                metrics.OUTBOX_RELAY_LEADER.set(0)
                return 0
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

    def _keep_lease(self) -> bool:
        if self._standby_until is not None and self._clock.now() < self._standby_until:
            return False
        self._standby_until = None
        try:
            held = self.lease.keep()
        except Exception:
            self.lease.forget()  # database away: the lease expires; do not publish blind
            metrics.OUTBOX_RELAY_LEADER.set(0)
            raise
        metrics.OUTBOX_RELAY_LEADER.set(1 if held else 0)
        if not held:
            metrics.OUTBOX_BACKLOG.set(0)  # the holder reports it, once for the service
            self._drop_producer()
        return held

    def _after_failure(self) -> None:
        """Count how long publishing has failed; past `give_up_seconds`, hand the lease over."""
        if self.lease.token is None:
            return
        now = self._clock.now()
        if self._failing_since is None:
            self._failing_since = now
            return
        if now - self._failing_since < self._give_up:
            return
        log.warning("broker unreachable too long; giving the outbox lease up")
        try:
            self.lease.release()
        except Exception:
            self.lease.forget()
        metrics.OUTBOX_RELAY_LEADER.set(0)
        metrics.OUTBOX_BACKLOG.set(0)
        self._failing_since = None
        self._standby_until = now + self.lease.ttl

    def _mark_sent(self, ids: list[int]) -> None:
        with transaction(self._sessions) as session:
            self.lease.fence(session)
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
            self.publish_pending()
        except Exception:
            log.warning("outbox not fully published at shutdown; it is kept for next start")
        finally:
            self._drop_producer()
            try:
                self.lease.release()  # the next replica takes over now, not after the ttl
            except Exception:
                log.warning("outbox lease not released; it expires after its ttl")
            metrics.OUTBOX_RELAY_LEADER.set(0)
