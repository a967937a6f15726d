"""Rows evaluation's writes queue on a session reach the database before anything reads it in
the same transaction and at commit; a rollback drops them (a savepoint's rollback only those
queued inside it), so nothing is written later by a transaction that did not commit. Written
as the driver gets them: times as SQLite's fixed-width UTC text, a failed write failing the
commit with SQLAlchemy's error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gridplus.evaluation.storage import facts
from gridplus.evaluation.storage.models import PetitionFact, StatusChangeRow
from gridplus.evaluation.storage.upserts import insert_ignoring
from gridplus.kit.db import transaction
from tests.integration.evaluation.conftest import MIGRATIONS
from tests.support.store import MigratedStore, migrated_store

pytestmark = pytest.mark.integration

T0 = datetime(2025, 6, 2, 8, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MigratedStore]:
    with migrated_store(f"sqlite:///{tmp_path}/queue.db", MIGRATIONS) as migrated:
        yield migrated


def _submit(session: object, petition_id: str) -> None:
    facts.record_submitted(
        session,  # type: ignore[arg-type]
        petition_id=petition_id,
        reporter_id="r-1",
        submitted_at=T0,
    )


def _ids(store: MigratedStore) -> list[str]:
    with transaction(store.sessions) as session:
        return list(session.scalars(select(PetitionFact.petition_id).order_by("petition_id")))


def test_a_read_in_the_same_transaction_sees_the_queued_rows(store: MigratedStore) -> None:
    with transaction(store.sessions) as session:
        _submit(session, "p-1")
        fact = session.get(PetitionFact, "p-1")
        assert fact is not None and fact.reporter_id == "r-1"
    assert _ids(store) == ["p-1"]


def test_a_rollback_drops_what_was_queued(store: MigratedStore) -> None:
    with store.sessions() as session:
        with pytest.raises(RuntimeError), session.begin():
            _submit(session, "p-lost")
            raise RuntimeError("the handler failed")
        with session.begin():
            _submit(session, "p-kept")
    assert _ids(store) == ["p-kept"]


def test_a_savepoint_rolled_back_drops_only_its_own_rows(store: MigratedStore) -> None:
    with transaction(store.sessions) as session:
        _submit(session, "p-before")
        with pytest.raises(RuntimeError), session.begin_nested():
            _submit(session, "p-inside")
            raise RuntimeError("undo the savepoint")
        with session.begin_nested():
            _submit(session, "p-released")
        _submit(session, "p-after")
    assert _ids(store) == ["p-after", "p-before", "p-released"]


def test_times_are_stored_as_fixed_width_utc_text(store: MigratedStore) -> None:
    """SQL compares the text (latest wins): every time UTC, to the microsecond, whatever zone
    the event's time came in."""
    beijing = timezone(timedelta(hours=8))
    with transaction(store.sessions) as session:
        facts.record_status(
            session,
            petition_id="p-1",
            from_status="SUBMITTED",
            to_status="ASSIGNED",
            actor_id="dispatch",
            changed_at=datetime(2025, 6, 2, 7, 30, tzinfo=beijing),
        )
        facts.record_status(
            session,
            petition_id="p-2",
            from_status="SUBMITTED",
            to_status="ASSIGNED",
            actor_id="dispatch",
            changed_at=datetime(2025, 6, 2, 8, 0, 0, 250),  # naive: taken as UTC
        )
    with store.sessions() as session:
        rows = session.connection().exec_driver_sql(
            "SELECT petition_id, status_at, first_at FROM petition_facts ORDER BY petition_id"
        )
        assert rows.all() == [
            ("p-1", "2025-06-01 23:30:00.000000", "2025-06-01 23:30:00.000000"),
            ("p-2", "2025-06-02 08:00:00.000250", "2025-06-02 08:00:00.000250"),
        ]
        changes = session.connection().exec_driver_sql(
            "SELECT changed_at FROM status_changes ORDER BY petition_id"
        )
        assert changes.scalars().all() == [
            "2025-06-01 23:30:00.000000",
            "2025-06-02 08:00:00.000250",
        ]


def test_a_queued_row_the_database_refuses_fails_the_commit(store: MigratedStore) -> None:
    change = {
        "petition_id": "p-1",
        "from_status": "SUBMITTED",
        "to_status": "ASSIGNED",
        "actor_id": None,  # NOT NULL
        "changed_at": T0,
    }
    with pytest.raises(IntegrityError), transaction(store.sessions) as session:
        _submit(session, "p-1")
        insert_ignoring(session, StatusChangeRow.__table__, [change])  # type: ignore[arg-type]
    assert _ids(store) == []
