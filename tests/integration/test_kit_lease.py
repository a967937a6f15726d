"""The kit's lease ("only one replica does X") on SQLite and PostgreSQL: taken by one holder,
taken over after expiry with a new fencing token, handed over at once on release, and a fence
that waits for a concurrent takeover and then refuses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from gridplus.kit.clock import ManualClock
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.lease import Lease, LeaseLost, leases
from gridplus.kit.migrations import migrate
from tests.support.eventually import eventually
from tests.support.postgres import create_database, drop_database

pytestmark = pytest.mark.integration

TTL = timedelta(seconds=10)


@pytest.fixture
def store(database_url: str) -> Iterator[tuple[Engine, SessionFactory]]:
    engine = create_database_engine(database_url)
    migrate(engine, None)
    yield engine, create_session_factory(engine)
    engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))


def test_one_holder_at_a_time_and_a_takeover_after_expiry_fences_the_old_one(
    store, clock: ManualClock
) -> None:
    _engine, sessions = store
    a = Lease(sessions, "job", "a", TTL, clock)
    b = Lease(sessions, "job", "b", TTL, clock)
    assert a.keep() and a.held
    assert not b.keep() and not b.held
    clock.advance(timedelta(seconds=9))
    assert a.keep()  # renewed: good for another ttl from now
    clock.advance(timedelta(seconds=9))
    assert not b.keep()
    first = a.token
    clock.advance(TTL)  # a stalled past its ttl
    assert b.keep()
    assert b.token is not None and first is not None and b.token > first
    # a comes back: it may neither renew nor take the lease, and its fence refuses.
    assert not a.renew()
    assert not a.keep()
    with pytest.raises(LeaseLost), transaction(sessions) as session:
        a.fence(session)


def test_release_hands_the_lease_over_at_once(store, clock: ManualClock) -> None:
    _engine, sessions = store
    a = Lease(sessions, "job", "a", TTL, clock)
    b = Lease(sessions, "job", "b", TTL, clock)
    assert a.keep()
    a.release()
    assert not a.held
    assert b.keep()  # no waiting for the ttl
    other = Lease(sessions, "other-job", "a", TTL, clock)
    assert other.keep()  # leases of different names do not block each other


def test_a_holder_that_forgot_its_lease_in_an_outage_takes_it_back_with_a_new_token(
    store, clock: ManualClock
) -> None:
    _engine, sessions = store
    a = Lease(sessions, "job", "a", TTL, clock)
    assert a.keep()
    first = a.token
    a.forget()  # a database error: a no longer knows whether it holds the lease
    assert a.keep()  # no waiting out its own ttl
    assert a.token is not None and first is not None and a.token > first
    assert not Lease(sessions, "job", "b", TTL, clock).keep()


def test_a_fence_waits_for_a_concurrent_takeover_and_then_refuses(clock: ManualClock) -> None:
    """PostgreSQL: a takeover holds the lease row locked; the old holder's fence (inside the
    transaction that records its work) waits for it and then finds the token changed."""
    name, url = create_database("gridplus_lease")
    engine = create_database_engine(url)
    try:
        migrate(engine, None)
        sessions = create_session_factory(engine)
        a = Lease(sessions, "job", "a", TTL, clock)
        assert a.keep()
        outcome: list[str] = []
        with transaction(sessions) as taker:
            # A taker's transaction: lock the row, move the token on, not yet committed.
            taker.execute(select(leases).where(leases.c.name == "job").with_for_update())
            taker.execute(
                update(leases)
                .where(leases.c.name == "job")
                .values(holder="b", token=leases.c.token + 1)
            )

            def fence() -> None:
                try:
                    with transaction(sessions) as session:
                        a.fence(session)
                    outcome.append("fenced-in")
                except LeaseLost:
                    outcome.append("lost")

            thread = threading.Thread(target=fence, daemon=True)
            thread.start()
            eventually(lambda: waiting_on_a_lock(engine), "the fence waits for the taker")
            assert outcome == []
        thread.join(10)
        assert outcome == ["lost"]
    finally:
        engine.dispose()
        drop_database(name)


def waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).scalar_one()
    return bool(waiting)
