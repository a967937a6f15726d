"""The care-clock scanner: finds special-care members whose care visit is past due, publishes
CareVisitOverdue once per missed due time, and refreshes the care gauges.

As the deadline scanner: every replica scans; the rows are taken FOR UPDATE SKIP LOCKED and each
report is a conditional update of `reported_due_at` in the transaction that writes the outbox
row, so two replicas (or two scans) publish a missed due time once. The gauges count the whole
database: only the replica holding `gauge_lease` exports them. A failed round is logged and
retried next round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from gridplus.dispatch import metrics
from gridplus.dispatch.api.visit_convert import care_visit_overdue
from gridplus.dispatch.jobs.deadlines import Leadership
from gridplus.dispatch.storage import care
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox

log = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class CareTick:
    overdue: int
    gauges_exported: bool


class CareClockScanner:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        outbox: Outbox,
        clock: Clock,
        interval_seconds: float = 5.0,
        gauge_interval_seconds: float = 15.0,
        gauge_lease: Leadership | None = None,
        board: metrics.CareBoard = metrics.CARE,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock
        self._interval = interval_seconds
        self._gauge_interval = gauge_interval_seconds
        self._lease = gauge_lease  # None: the only replica
        self._board = board
        if gauge_lease is not None:
            board.gate(lambda: gauge_lease.held)

    def run(self, stop: threading.Event) -> None:
        """The scan loop: missed care visits reported."""
        self._loop(stop, self.scan, self._interval, "care clock scan failed")

    def run_gauges(self, stop: threading.Event) -> None:
        """The gauge loop, apart (a recount of every clock must not delay the scan)."""
        self._loop(stop, self.refresh_gauges, self._gauge_interval, "care gauge recount failed")
        if self._lease is not None:  # hand the gauges over at once (a rollout)
            try:
                self._lease.release()
            except Exception:  # the database is away: the lease expires by itself
                log.warning("care-board lease not released", exc_info=True)

    @staticmethod
    def _loop(stop: threading.Event, step: Callable[[], object], every: float, oops: str) -> None:
        while not stop.is_set():
            try:
                step()
            except Exception:  # a database hiccup must not end the loop: the next round retries
                log.exception(oops)
            stop.wait(every)

    def scan(self) -> int:
        """Report every clock newly past due; how many were reported."""
        overdue = 0
        while True:
            found = self._report_overdue()
            overdue += found
            if found < BATCH:
                return overdue

    def tick(self) -> CareTick:
        """One scan and one recount (what the two loops do, at once: for tests and tools)."""
        return CareTick(self.scan(), self.refresh_gauges())

    def _report_overdue(self) -> int:
        now = self._clock.now()
        reported = 0
        with transaction(self._sessions) as session:
            for clock in care.newly_overdue(session, now=now, limit=BATCH):
                if not care.mark_reported(session, clock):
                    continue  # another scanner reported it, or a visit just moved the due time
                self._outbox.add(session, care_visit_overdue(clock, now), key=clock.member_id)
                reported += 1
                log.info(
                    "care visit overdue",
                    extra={"member_id": clock.member_id, "grid_code": clock.grid_code},
                )
        if reported:
            metrics.CARE_OVERDUE_DETECTED.inc(reported)
        return reported

    def refresh_gauges(self) -> bool:
        """Recount the care gauges if this replica exports them; whether it did."""
        if self._lease is not None and not self._lease.keep():
            self._board.clear()
            return False
        with transaction(self._sessions) as session:
            counts = care.care_counts(session, now=self._clock.now())
        self._board.update(counts)
        return True
