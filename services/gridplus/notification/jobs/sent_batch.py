"""Group commit of sent deliveries: each sending thread hands its sent delivery in and returns
once it is recorded, but the threads that finish while one transaction is being written are
recorded together by the next, in one UPDATE, instead of each queueing for the database.

Nothing is promised sooner or later than before: a thread returns only after the transaction
holding its delivery committed (or failed: then it raises, as a single mark_sent would), so a
worker killed before that leaves the delivery pending, to be sent again when its lease runs out
(the receiver sees the same delivery id twice, as the worker's design already allows).
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.notification.storage import deliveries
from gridplus.notification.storage.deliveries import Claimed


class SentRecorder:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._queued: list[Claimed] = []
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer at a time; it takes all that is queued
        # Recorded (by this thread or another): whether the lease held, and when.
        self._done: dict[uuid.UUID, tuple[bool, datetime]] = {}
        self._failed: dict[uuid.UUID, BaseException] = {}

    def record(self, delivery: Claimed) -> tuple[bool, datetime]:
        """Mark `delivery` SENT; whether its lease still held, and when it was recorded."""
        with self._queue_lock:
            self._queued.append(delivery)
        with self._write_lock:
            with self._queue_lock:
                batch, self._queued = self._queued, []
            if batch:
                self._write(batch)
            with self._queue_lock:
                failure = self._failed.pop(delivery.id, None)
                outcome = self._done.pop(delivery.id, None)
        if failure is not None:
            raise failure
        assert outcome is not None  # written by this thread or a writer before it
        return outcome

    def _write(self, batch: list[Claimed]) -> None:
        at = self._clock.now()
        try:
            with transaction(self._sessions) as session:
                changed = deliveries.mark_sent_many(session, batch, at=at)
        except Exception as exc:
            with self._queue_lock:
                self._failed.update(dict.fromkeys((d.id for d in batch), exc))
            return
        with self._queue_lock:
            self._done.update({d.id: (d.id in changed, at) for d in batch})
