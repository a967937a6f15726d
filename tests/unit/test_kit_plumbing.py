"""The kit's plumbing pieces each service uses instead of its own copy."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from gridplus.kit.cache import TtlCache
from gridplus.kit.clock import ManualClock, as_utc
from gridplus.kit.db import (
    SessionFactory,
    UtcDateTime,
    after_commit,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.errors import InvalidArgument, TransientError
from gridplus.kit.idempotency import IdempotencyKeyReused, caller_scope, run_once
from gridplus.kit.migrations import migrate
from gridplus.kit.page_tokens import read_page_token, write_page_token
from gridplus.kit.snapshot import Snapshot
from tests.support.eventually import eventually


def test_as_utc_takes_naive_as_utc_and_converts_aware() -> None:
    assert as_utc(datetime(2026, 1, 1, 8)) == datetime(2026, 1, 1, 8, tzinfo=UTC)
    beijing = timezone(timedelta(hours=8))
    assert as_utc(datetime(2026, 1, 1, 8, tzinfo=beijing)).hour == 0


def test_utc_column_reads_back_aware_on_sqlite(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/t.db")
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime)
    )
    table.metadata.create_all(engine)
    beijing = timezone(timedelta(hours=8))
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=datetime(2026, 1, 1, 8, tzinfo=beijing)))
        stored = conn.execute(select(table.c.at)).scalar_one()
    assert stored == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert stored.tzinfo is not None


def test_after_commit_runs_only_when_the_transaction_commits(tmp_path: Path) -> None:
    sessions = create_session_factory(create_database_engine(f"sqlite:///{tmp_path}/t.db"))
    ran: list[str] = []
    with transaction(sessions) as session:
        after_commit(session, lambda: ran.append("committed"))
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        after_commit(session, lambda: ran.append("rolled back"))
        raise RuntimeError("boom")
    assert ran == ["committed"]


def test_after_commit_of_a_rolled_back_transaction_never_runs_on_a_later_commit(
    tmp_path: Path,
) -> None:
    """One session, two transactions: the first's actions die with its rollback, and a
    transaction's many actions run in order from one listener."""
    sessions = create_session_factory(create_database_engine(f"sqlite:///{tmp_path}/t.db"))
    ran: list[str] = []
    with sessions() as session:
        session.begin()
        after_commit(session, lambda: ran.append("rolled back"))
        session.rollback()
        session.begin()
        for n in range(3):
            after_commit(session, lambda n=n: ran.append(f"committed {n}"))  # type: ignore[misc]
        listeners = len(session.dispatch.after_commit)
        session.commit()
    assert ran == ["committed 0", "committed 1", "committed 2"]
    assert listeners == 2, "the rolled-back transaction's listener and one for the three"


def test_page_token_round_trips_and_refuses_other_queries_and_forgeries() -> None:
    token = write_page_token({"deadline": "2026-01-01T00:00:00+00:00", "id": "p1"}, ["MN", ""])
    assert read_page_token(token, ["MN", ""]) == {
        "deadline": "2026-01-01T00:00:00+00:00",
        "id": "p1",
    }
    with pytest.raises(InvalidArgument, match="page_token: belongs to a query with other filters"):
        read_page_token(token, ["BK", ""])
    with pytest.raises(InvalidArgument, match="cursor: not a token this API returned"):
        read_page_token("not-base64!!", field="cursor")


def test_ttl_cache_reuses_then_reloads_and_serves_stale_on_outage() -> None:
    now = [0.0]
    cache: TtlCache[int] = TtlCache(10, stale_on=(ConnectionError,), monotonic=lambda: now[0])
    loads = iter([1, 2])
    assert cache.get("k", lambda: next(loads)) == 1
    assert cache.get("k", lambda: next(loads)) == 1
    now[0] = 11
    assert cache.get("k", lambda: next(loads)) == 2
    now[0] = 30

    def down() -> int:
        raise ConnectionError("registry away")

    assert cache.get("k", down) == 2
    with pytest.raises(ConnectionError):
        cache.get("never-loaded", down)


def _sessions(tmp_path: Path) -> SessionFactory:
    engine = create_database_engine(f"sqlite:///{tmp_path}/kit.db")
    migrate(engine, None)
    return create_session_factory(engine)


def test_run_once_applies_a_request_once_and_refuses_a_reused_key(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    effects: list[int] = []

    def action(_session: object) -> dict[str, object]:
        effects.append(1)
        return {"whistle_id": f"w{len(effects)}"}

    scope = caller_scope("dispatch.BlowWhistle", "w-MN0502-1")
    first = run_once(sessions, clock, scope=scope, key="r1", request={"p": "P1"}, action=action)
    again = run_once(sessions, clock, scope=scope, key="r1", request={"p": "P1"}, action=action)
    assert first == ({"whistle_id": "w1"}, False)
    assert again == ({"whistle_id": "w1"}, True)
    assert effects == [1]
    with pytest.raises(IdempotencyKeyReused, match="request_id"):
        run_once(sessions, clock, scope=scope, key="r1", request={"p": "P2"}, action=action)
    other = caller_scope("dispatch.BlowWhistle", "w-BK0602-1")
    assert (
        run_once(sessions, clock, scope=other, key="r1", request={"p": "P2"}, action=action)[1]
        is False
    )


def test_snapshot_swaps_whole_when_a_newer_version_is_stored(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    stored: list[int] = []
    swaps: list[str] = []
    snapshot: Snapshot[str] = Snapshot(
        sessions,
        name="grid set",
        version=lambda _s: stored[-1] if stored else None,
        load=lambda _s: f"v{stored[-1]}",
        missing="nothing imported yet",
        on_swap=swaps.append,
        poll_seconds=0.01,
    )
    with pytest.raises(TransientError, match="nothing imported yet"):
        snapshot.get()
    stored.append(1)
    assert snapshot.get() == "v1"
    stop = threading.Event()
    loop = threading.Thread(target=snapshot.run, args=(stop,))
    loop.start()
    stored.append(2)
    eventually(lambda: snapshot.get() == "v2", "the refresh loop swaps in version 2", timeout=5)
    stop.set()
    loop.join(5)
    assert swaps == ["v1", "v2"]
