"""Background loops of the evaluation service: follow-up timeouts and the rate gauges."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gridplus.evaluation import metrics, reports
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import FollowUps
from gridplus.evaluation.handlers.follow_up import EXPIRY_BATCH
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction

log = logging.getLogger(__name__)


class FollowUpTimeouts:
    """Closes unanswered follow-ups as NO_RESPONSE once they are due (clock injected)."""

    def __init__(
        self,
        sessions: SessionFactory,
        follow_ups: FollowUps,
        *,
        interval_seconds: float,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._follow_ups = follow_ups
        self._interval = interval_seconds
        self._after_commit = after_commit

    def run_once(self) -> int:
        """Expire every due follow-up, in batches; returns how many."""
        total = 0
        while True:
            with transaction(self._sessions) as session:
                expired = self._follow_ups.expire_due(session)
            total += expired
            if expired:
                self._after_commit()
            if expired < EXPIRY_BATCH:
                return total

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            expired = self.run_once()
            if expired:
                log.info("follow-ups closed without response", extra={"count": expired})


class RateGauges:
    """Publishes this month's satisfaction and on-time rates per level-1 grid and department."""

    def __init__(self, sessions: SessionFactory, clock: Clock, *, interval_seconds: float) -> None:
        self._sessions = sessions
        self._clock = clock
        self._interval = interval_seconds

    def refresh(self) -> None:
        window = Window(*period_range(PeriodKind.MONTH, self._clock.now().date()))
        with transaction(self._sessions) as session:
            grids = reports.scorecards(session, SubjectKind.GRID, window, grid_level=1)
            departments = reports.scorecards(session, SubjectKind.DEPARTMENT, window)
        for kind, cards in (("grid", grids), ("department", departments)):
            for card in cards:
                labels = (kind, card.subject.subject_id)
                metrics.SATISFACTION_RATE.labels(*labels).set(card.satisfaction_rate)
                metrics.ON_TIME_RATE.labels(*labels).set(card.on_time_rate)
                metrics.ANSWERED_FOLLOW_UPS.labels(*labels).set(card.satisfied + card.unsatisfied)
                metrics.RESOLUTIONS.labels(*labels).set(card.resolved)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.refresh()
            except Exception:  # a failed refresh keeps the last values; the next may succeed
                log.warning("rate gauges not refreshed", exc_info=True)
            stop.wait(self._interval)
