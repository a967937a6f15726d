"""The rate gauges: this month's satisfaction and on-time rates per level-1 grid and department,
refreshed on an interval (metrics.py declares them)."""

from __future__ import annotations

import logging
import threading

from gridplus.evaluation import metrics
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import scorecards
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction

log = logging.getLogger(__name__)


class RateGauges:
    """Publishes this month's satisfaction and on-time rates per level-1 grid and department."""

    def __init__(self, sessions: SessionFactory, clock: Clock, *, interval_seconds: float) -> None:
        self._sessions = sessions
        self._clock = clock
        self._interval = interval_seconds

    def refresh(self) -> None:
        window = Window(*period_range(PeriodKind.MONTH, self._clock.now().date()))
        with transaction(self._sessions) as session:
            # One read of the month's facts for both (it is most of a refresh).
            kinds = [(SubjectKind.GRID, 1), (SubjectKind.DEPARTMENT, 0)]
            grids, departments = scorecards.several(session, window, kinds)
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
