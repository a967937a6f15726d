"""The follow-up timeout loop survives a database error: it logs, and the next round closes what
is due (SQLite and PostgreSQL, the loop's own thread, a real failing query)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from gridplus.evaluation.jobs.follow_up_timeouts import FollowUpTimeouts
from gridplus.kit.db import transaction
from tests.integration.evaluation.conftest import Evaluation
from tests.integration.evaluation.test_follow_up import at, published, resolve, route
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration


def _rename(evaluation: Evaluation, old: str, new: str) -> None:
    with transaction(evaluation.sessions) as session:
        session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_a_database_error_is_logged_and_the_next_round_retries(
    evaluation: Evaluation, caplog: pytest.LogCaptureFixture
) -> None:
    route(evaluation, "p-1", "r-1")
    resolve(evaluation, "p-1", 4)
    evaluation.clock.set(at(4) + timedelta(days=7))
    timeouts = FollowUpTimeouts(evaluation.sessions, evaluation.follow_ups, interval_seconds=0.05)
    # Every query of the loop fails while the table is gone (as during a failover).
    _rename(evaluation, "petition_facts", "petition_facts_away")
    stop = threading.Event()
    loop = threading.Thread(target=timeouts.run, args=(stop,), daemon=True)
    loop.start()
    try:
        eventually(
            lambda: "follow-up timeouts not processed" in caplog.text, "the failed round logged"
        )
        assert loop.is_alive()
        _rename(evaluation, "petition_facts_away", "petition_facts")
        (event,) = eventually(lambda: published(evaluation), "the follow-up closed after all")
        assert event.via == "timeout"
        assert loop.is_alive()
    finally:
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()
