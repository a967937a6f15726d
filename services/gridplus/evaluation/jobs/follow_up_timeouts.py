"""The follow-up timeout loop: closes unanswered follow-ups as NO_RESPONSE once due.

Every replica runs it; each batch is one transaction over rows it locks (rows another replica
holds are skipped). A database error (a failover, a dropped
connection) is logged and the next round retries: it never stops the pod.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gridplus.evaluation.handlers import FollowUps
from gridplus.evaluation.handlers.follow_up import EXPIRY_BATCH
from gridplus.kit.db import SessionFactory, after_commit, transaction

log = logging.getLogger(__name__)


class FollowUpTimeouts:
    """Closes unanswered follow-ups as NO_RESPONSE once they are due (clock injected)."""

    def __init__(
        self,
        sessions: SessionFactory,
        follow_ups: FollowUps,
        *,
        interval_seconds: float,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._follow_ups = follow_ups
        self._interval = interval_seconds
        self._wake = wake  # the outbox relay, told once a batch has committed

    def run_once(self) -> int:
        """Expire every due follow-up, in batches; returns how many."""
        total = 0
        while True:
            with transaction(self._sessions) as session:
                expired = self._follow_ups.expire_due(session)
                if expired:
                    after_commit(session, self._wake)
            total += expired
            if expired < EXPIRY_BATCH:
                return total

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            self.tick()

    def tick(self) -> int:
        """One round of the loop: expire what is due; a failure is logged, not raised (the next
        round retries). Returns how many were closed."""
        try:
            expired = self.run_once()
        except Exception:  # a database hiccup must not end the loop (nor stop the pod)
            log.warning("follow-up timeouts not processed; retrying next round", exc_info=True)
            return 0
        if expired:
            log.info("follow-ups closed without response", extra={"count": expired})
        return expired
