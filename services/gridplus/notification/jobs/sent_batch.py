"""Group commit of sent deliveries, in the background: a sending thread hands its sent delivery
in and goes on to its next send; a recorder thread marks what was handed in SENT, many in one
UPDATE, once `linger` has passed since the first of them (or `most` are waiting), then reports
each outcome (whether the lease still held) to `on_recorded`.

A delivery is SENT in the database at most `linger` plus one transaction after its send. A
worker killed within that window leaves it pending and leased, to be sent again when its lease
runs out (the receiver sees the same delivery id twice, as the worker's design already allows);
a write that fails (the database is away) leaves it the same way. Stopping the worker writes
what is waiting first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.notification.storage import deliveries
from gridplus.notification.storage.deliveries import Claimed

log = logging.getLogger(__name__)

# A sent delivery, whether its lease still held when it was marked, and when.
Recorded = Callable[[Claimed, bool, datetime], None]


class SentRecorder:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        on_recorded: Recorded,
        *,
        linger: float = 0.025,
        most: int = 256,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._on_recorded = on_recorded
        self._linger = linger
        self._most = most
        self._queued: list[Claimed] = []
        self._changed = threading.Condition()
        self._write_lock = threading.Lock()  # one batch at a time, in the order handed in
        self._thread: threading.Thread | None = None
        self._closing = False

    def add(self, delivery: Claimed) -> None:
        """Hand in a sent delivery, to be marked SENT shortly (returns at once)."""
        with self._changed:
            self._queued.append(delivery)
            if self._thread is None:  # started with the first send: idle workers keep none
                self._thread = threading.Thread(
                    target=self._run, name="delivery-recorder", daemon=True
                )
                self._thread.start()
            if len(self._queued) == 1 or len(self._queued) >= self._most:
                self._changed.notify()

    def flush(self) -> None:
        """Write what has been handed in, now; returns once it is written (or dropped)."""
        with self._write_lock:
            with self._changed:
                batch, self._queued = self._queued, []
            if batch:
                self._write(batch)

    def close(self) -> None:
        """Write what is waiting and stop the recorder thread."""
        with self._changed:
            self._closing = True
            self._changed.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        self.flush()

    def _run(self) -> None:
        while self._lingered():
            try:
                self.flush()
            except Exception:  # an outcome's report failed: the next batch is still written
                log.exception("sent deliveries' outcome not reported")

    def _lingered(self) -> bool:
        """Wait for something to write and then for `linger` (or `most` of them); False once
        closing."""
        with self._changed:
            while not self._queued and not self._closing:
                self._changed.wait()
            deadline = time.monotonic() + self._linger
            while not self._closing and len(self._queued) < self._most:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return not self._closing

    def _write(self, batch: list[Claimed]) -> None:
        at = self._clock.now()
        try:
            with transaction(self._sessions) as session:
                changed = deliveries.mark_sent_many(session, batch, at=at)
        except Exception:
            log.warning(
                "sent deliveries not recorded; they are sent again after their lease",
                extra={"deliveries": len(batch)},
                exc_info=True,
            )
            return
        for delivery in batch:
            self._on_recorded(delivery, delivery.id in changed, at)
