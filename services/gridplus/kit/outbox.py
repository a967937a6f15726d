"""Transactional outbox: an event is written in the same transaction as the change it reports,
and a relay publishes it to Kafka afterwards (acks=all), so a broker outage never loses or
blocks intake.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.protobuf.message import Message
from kafka import KafkaProducer
from sqlalchemy import Connection, Engine, bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from gridplus.kit import metrics
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory
from gridplus.kit.events import encode_headers
from gridplus.kit.lease import Lease, LeaseLost, new_holder_id
from gridplus.kit.tables import outbox_messages
from gridplus.kit.tracing import current_traceparent
from gridplus.kit.write_behind import defer_insert

log = logging.getLogger(__name__)

# Set in a session's info by `Outbox.add`: when that session commits, its relay publishes at once
# instead of at its next poll (and a commit without it costs the relay nothing).
_UNSENT = "gridplus.outbox.unsent"
# The relay renews its lease once this share of the ttl has passed (not on every batch), so it
# always holds ≥ 3/4 of a ttl when it sends, more than a flush may take (half the ttl).
_RENEW_AFTER = 0.25
# The relay's statements, built once and run on a plain connection: an empty poll costs ~0.1 ms
# of CPU on SQLite, against ~0.45 ms built anew in an ORM session each time.
_PENDING = (
    select(outbox_messages)
    .where(outbox_messages.c.sent_at.is_(None))
    .order_by(outbox_messages.c.id)
    .limit(bindparam("batch_size"))
)
# Outbox.add's statement, built once (building `insert().values()` per event was ~1/4 of a
# petition submission's CPU); executed with each event's values as parameters.
_ADD = insert(outbox_messages)
_UNSENT_COUNT = select(func.count()).where(outbox_messages.c.sent_at.is_(None))
_MARK_SENT = (
    update(outbox_messages)
    .where(outbox_messages.c.id.in_(bindparam("ids", expanding=True)))
    .values(sent_at=bindparam("now"))
)


@dataclass(frozen=True)
class Outbox:
    """What a unit of work needs to record events: where they go and who they come from."""

    topic: str
    source: str
    clock: Clock

    def add(self, session: Session, payload: Message, *, key: str) -> str:
        """Record `payload` for publishing; returns the event id. Call inside the transaction."""
        return self.add_all(session, [(payload, key)])[0]

    def add_all(self, session: Session, events: Sequence[tuple[Message, str]]) -> list[str]:
        """Record each (payload, key) for publishing, in this order; returns their event ids.
        Call inside the transaction: the rows are inserted when it commits, with every other
        event of the transaction in one executemany."""
        if not events:
            return []
        now = self.clock.now()
        traceparent = current_traceparent()
        ids = [str(uuid.uuid4()) for _ in events]
        rows = [
            {
                "event_id": event_id,
                "topic": self.topic,
                "key": key,
                "ce_type": payload.DESCRIPTOR.full_name,
                "ce_source": self.source,
                "ce_time": now,
                "payload": payload.SerializeToString(),
                "traceparent": traceparent,
                "created_at": now,
            }
            for event_id, (payload, key) in zip(ids, events, strict=True)
        ]
        # Written with the batch's other events when the transaction commits (kit.write_behind).
        defer_insert(session, _ADD, rows)
        session.info[_UNSENT] = True
        return ids


class OutboxRelay:
    """Publishes unsent outbox rows in id order and marks them sent after the broker acks.

    Only the replica holding the relay's lease (`kit.lease`, named per service) publishes, so
    per-key order survives replicas. The lease is renewed once a quarter of its ttl has passed
    (checked before every batch, and again just before sending it) and checked in the
    transaction that marks the batch sent (fencing, which renews it too): a relay that lost it
    publishes nothing more and records nothing. A flush is bounded by half the ttl, so a batch
    sent with ≥ 3/4 of a ttl left is finished before anyone else can take it (Kafka itself
    cannot fence a plain producer: a send that outlives the lease at worst repeats events,
    which consumers drop by event id; the "sent" marks are what the fence guards). A holder
    that cannot reach the broker for `give_up_seconds` releases the lease and stands by for one
    ttl, so a healthy replica takes over; a holder that dies or loses its database is replaced
    within one ttl.

    When to look: at once when a transaction of this process that added outbox rows commits
    (`Outbox.add` marks the session; a listener on the session factory sees the commit), else
    every `poll_seconds` (rows of other replicas and processes). A commit that added no rows,
    and a replica that does not hold the lease, cost nothing between polls.
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
        self._engine = engine
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
        self._unsent = threading.Event()
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_transaction_end", _forget_unsent)

    def wake(self) -> None:
        """Kept for callers that signal after their commits. The relay needs no nudge: a commit
        of outbox rows through this relay's session factory wakes it (a commit that wrote no
        events, e.g. most consumer batches, must not cost a query)."""

    def _after_commit(self, session: Session) -> None:
        if session.info.get(_UNSENT):
            self._unsent.set()

    def run(self, stop: threading.Event) -> None:
        backoff = 0.0
        while not stop.is_set():
            self._unsent.clear()  # rows committed from here on are looked for again
            published = self.tick()
            if published is None:  # broker or database away: keep the rows, retry later
                backoff = min(self._max_backoff, max(0.1, backoff * 2))
                stop.wait(backoff)
                continue
            backoff = 0.0
            if published < self._batch_size:
                self._wait_for_events(stop)
        self._shutdown()

    def _wait_for_events(self, stop: threading.Event) -> None:
        """Until this process commits events, or the poll interval has passed (looking at
        `stop` at least every half second, so a long poll interval does not delay shutdown)."""
        deadline = time.monotonic() + self._poll_seconds
        while not stop.is_set() and not self._unsent.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._unsent.wait(min(left, 0.5))

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
        with self._engine.begin() as connection:
            rows = connection.execute(_PENDING, {"batch_size": self._batch_size}).all()
            metrics.OUTBOX_BACKLOG.set(self._backlog(connection, len(rows)))
        if not rows:
            return 0
        producer = self._ensure_producer()  # connecting may take seconds: renew after it if due
        if not self.lease.renew_if_due(_RENEW_AFTER):
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

    def _backlog(self, connection: Connection, batch: int) -> int:
        if batch < self._batch_size:
            return batch
        return int(connection.execute(_UNSENT_COUNT).scalar_one())

    def _keep_lease(self) -> bool:
        now = self._clock.now()
        if self._standby_until is not None and now < self._standby_until:
            return False
        self._standby_until = None
        try:
            held = self.lease.keep_fresh(_RENEW_AFTER)
        except Exception:
            self.lease.forget()  # database away: the lease expires; do not publish blind
            metrics.OUTBOX_RELAY_LEADER.set(0)
            raise
        metrics.OUTBOX_RELAY_LEADER.set(1 if held else 0)
        if not held:
            metrics.OUTBOX_BACKLOG.set(0)  # the holder reports it, once for the service
            self._drop_producer()
            # Another replica holds it: try again at the next poll, not at every commit here
            # (that replica's poll publishes this one's rows meanwhile).
            self._standby_until = now + timedelta(seconds=self._poll_seconds)
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
        with self._engine.begin() as connection:
            self.lease.fence(connection)
            connection.execute(_MARK_SENT, {"ids": ids, "now": self._clock.now()})

    def _record_failure(self, row_id: int, error: Any) -> None:
        with self._engine.begin() as connection:
            connection.execute(
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


def _forget_unsent(session: Session, transaction: SessionTransaction) -> None:
    # A session used for another transaction after this one starts unmarked.
    if transaction.parent is None:
        session.info.pop(_UNSENT, None)
