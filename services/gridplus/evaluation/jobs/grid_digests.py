"""The weekly digest job: once an ISO week has ended (and a grace period has passed, so events
of its last minutes still in flight are counted), publish GridDigestReady for every grid (every
level) with activity in it, once per grid and week.

Replicas: the job runs only on the replica holding its lease (kit.lease, one row in the
service's database), so one replica computes the digests; each grid's digest is written in its
own transaction that checks the lease (fence) and claims the (grid, week) row under a primary
key, so a second round, a replica that lost the lease mid-way or a restarted pod publishes
nothing twice. A database error is logged and the next round retries; the pod keeps running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, timedelta

from gridplus.evaluation.domain.digest import last_complete_week
from gridplus.evaluation.handlers import digests
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, after_commit, transaction
from gridplus.kit.lease import Lease
from gridplus.kit.outbox import Outbox

log = logging.getLogger(__name__)


class GridDigests:
    def __init__(
        self,
        sessions: SessionFactory,
        outbox: Outbox,
        clock: Clock,
        lease: Lease,
        *,
        interval_seconds: float,
        grace: timedelta = timedelta(hours=1),
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock
        self._lease = lease
        self._interval = interval_seconds
        self._grace = grace
        self._wake = wake  # the outbox relay, told once a digest has committed
        self._done: date | None = None  # the week whose digests are all out

    def run_once(self) -> int:
        """Publish the last complete week's digests not yet out; returns how many this call
        published (0 when another replica holds the lease)."""
        week = last_complete_week((self._clock.now() - self._grace).date())
        if self._done == week.start or not self._lease.keep():
            return 0
        with transaction(self._sessions) as session:
            due = digests.due_digests(session, week)
        published = 0
        for found in due:
            with transaction(self._sessions) as session:
                self._lease.fence(session)  # LeaseLost: another replica carries on
                if digests.publish(session, self._outbox, found, self._clock.now()):
                    published += 1
                    after_commit(session, self._wake)
        self._done = week.start
        return published

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            self.tick()
        self._lease.forget()

    def tick(self) -> int:
        """One round: a failure is logged, not raised (the next round retries)."""
        try:
            published = self.run_once()
        except Exception:  # a database hiccup or a lost lease must not end the loop
            log.warning("grid digests not published; retrying next round", exc_info=True)
            return 0
        if published:
            log.info("grid digests published", extra={"count": published})
        return published
