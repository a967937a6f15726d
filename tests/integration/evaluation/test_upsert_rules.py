"""The "latest wins" / "first wins" rules evaluation's upserts express in SQL keep the same row
whatever the order and the duplicates, on SQLite and on PostgreSQL; ids at the same instant
compare by code point (Python's order) even in a database whose collation sorts otherwise
(ICU en-US puts "w-B" after "w-a"; by code point "w-a" is the larger)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from google.protobuf.message import Message
from sqlalchemy import select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.messaging.consumers import REBUILD_HANDLERS
from gridplus.evaluation.storage.models import PetitionFact, PetitionPointRow, WhistleSummonsRow
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from tests.integration.evaluation.conftest import MIGRATIONS, stamp
from tests.support.postgres import ADMIN_URL, drop_database
from tests.support.store import MigratedStore, migrated_store

pytestmark = pytest.mark.integration

T0 = datetime(2025, 5, 6, 8, tzinfo=UTC)
H = timedelta(hours=1)
S = petition_pb2.PetitionStatus
PATH_A = ["G-01", "G-01-02", "G-01-02-07"]
PATH_B = ["G-01", "G-01-03"]
ORDERS = 4


@pytest.fixture(params=["sqlite", "postgresql-icu"])
def store(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[MigratedStore]:
    if request.param == "sqlite":
        with migrated_store(f"sqlite:///{tmp_path}/rules.db", MIGRATIONS) as migrated:
            yield migrated
        return
    name = f"eval_rules_{random.randrange(16**8):08x}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
            "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    try:
        with migrated_store(f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}", MIGRATIONS) as migrated:
            yield migrated
    finally:
        drop_database(name)


def _assigned(pid: str, hours: float, worker: str, path: list[str], deadline: float) -> Message:
    return events_pb2.PetitionAssigned(
        petition_id=pid,
        grid=common_pb2.GridRef(code=path[-1], level=len(path), path=path),
        assignee_id=worker,
        department_code="D-" + worker[-1],
        assigned_at=stamp(T0 + hours * H),
        deadline=stamp(T0 + deadline * H),
        category="c-x",
    )


def _changed(
    pid: str,
    old: petition_pb2.PetitionStatus,
    new: petition_pb2.PetitionStatus,
    hours: float,
    category: str,
) -> Message:
    return events_pb2.PetitionStatusChanged(
        petition_id=pid,
        from_status=old,
        to_status=new,
        actor_id="w-a",
        changed_at=stamp(T0 + hours * H),
        category=category,
    )


def _reported(pid: str, whistle: str, hours: float, on_time: bool) -> Message:
    return events_pb2.WhistleReported(
        whistle_id=whistle,
        petition_id=pid,
        department_code="D-a",
        reported_at=stamp(T0 + hours * H),
        on_time=on_time,
    )


def _history(pid: str) -> list[Message]:
    """One petition's events; the expected row is in the test below."""
    whistle = f"wh-{pid}"
    transferred = [
        events_pb2.AssignmentTransferred(
            petition_id=pid,
            to_assignee_id=worker,
            to_department_code="D-" + worker[-1],
            transferred_at=stamp(T0 + 2 * H),
        )
        for worker in ("w-a", "w-B")  # the same instant: the larger by code point wins
    ]
    return [
        events_pb2.PetitionSubmitted(
            petition_id=pid,
            reporter_id="r-1",
            submitted_at=stamp(T0),
            category="c-z",
            location=common_pb2.GeoPoint(lat=31.2, lon=121.5),
        ),
        _assigned(pid, 1, "w-q", PATH_A, 3),  # the first assignment: its time and deadline
        _assigned(pid, 1.5, "w-r", PATH_B, 9),  # the latest grid
        *transferred,
        _changed(pid, S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_RESOLVED, 5, "c-B"),
        _changed(pid, S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_CLOSED, 6, "c-a"),
        _changed(pid, S.PETITION_STATUS_CLOSED, S.PETITION_STATUS_CLOSED, 5.5, ""),
        events_pb2.PetitionMerged(petition_id=pid, survivor_id="p-9", merged_at=stamp(T0 + 7 * H)),
        events_pb2.PetitionOverdue(
            petition_id=pid,
            step=dispatch_pb2.ASSIGNMENT_STEP_HANDLE,
            deadline=stamp(T0 + 4 * H),
            detected_at=stamp(T0 + 8 * H),
        ),
        events_pb2.WhistleBlown(
            whistle_id=whistle,
            petition_id=pid,
            grid=common_pb2.GridRef(code=PATH_A[-1], level=3, path=PATH_A),
            department_codes=["D-a", "D-B"],
            blown_at=stamp(T0 + H),
        ),
        _reported(pid, whistle, 2, True),  # the first report counts
        _reported(pid, whistle, 3, False),
        *(
            events_pb2.FollowUpCompleted(
                petition_id=pid,
                outcome=events_pb2.FOLLOW_UP_OUTCOME_SATISFIED,
                rating=5,
                via="rating",
                completed_at=stamp(T0 + hours * H),
            )
            for hours in (6.5, 5.5)
        ),
    ]


def _apply(store: MigratedStore, pid: str, payloads: list[Message]) -> None:
    for n, payload in enumerate(payloads):
        event = Event(f"{pid}-e{n}", payload.DESCRIPTOR.full_name, "/t", T0, pid, payload)
        with transaction(store.sessions) as session:
            REBUILD_HANDLERS[event.type](session, event)  # type: ignore[operator]


def _rows(store: MigratedStore, pid: str) -> tuple[dict[str, object], ...]:
    with transaction(store.sessions) as session:
        fact = session.execute(
            select(PetitionFact.__table__).where(PetitionFact.petition_id == pid)
        )
        point = session.execute(
            select(PetitionPointRow.__table__).where(PetitionPointRow.petition_id == pid)
        )
        summons = session.execute(
            select(WhistleSummonsRow.__table__).where(WhistleSummonsRow.petition_id == pid)
        )
        return (
            dict(fact.one()._mapping),
            dict(point.one()._mapping),
            *sorted((dict(row._mapping) for row in summons), key=lambda r: r["department_code"]),
        )


def test_every_order_keeps_the_rules_row(store: MigratedStore) -> None:
    shuffler = random.Random(13)
    seen = []
    for n in range(ORDERS):
        pid = f"p-{n}"
        events = _history(pid)
        if n:
            events += shuffler.sample(events, k=len(events) // 3)  # some twice
            shuffler.shuffle(events)
        _apply(store, pid, events)
        fact, point, *summons = _rows(store, pid)
        seen.append((fact | {"petition_id": ""}, point | {"petition_id": ""}, summons))
    fact, point, summons = seen[0]
    assert fact == {
        "petition_id": "",
        "reporter_id": "r-1",
        "submitted_at": T0,
        "assigned_at": T0 + H,
        "verify_deadline": T0 + 3 * H,
        "worker_id": "w-a",
        "worker_at": T0 + 2 * H,
        "department_code": "D-a",
        "department_at": T0 + 2 * H,
        "grid_l1": "G-01",
        "grid_l2": "G-01-03",
        "grid_l3": None,
        "grid_at": T0 + 1.5 * H,
        "merged": True,
        "merged_into": "p-9",
        "status": "CLOSED",
        "status_at": T0 + 6 * H,
        "last_follow_up_at": T0 + 6.5 * H,
        "first_at": T0,
        "last_at": T0 + 8 * H,
    }
    assert point == {
        "petition_id": "",
        "latitude": 31.2,
        "longitude": 121.5,
        "submitted_at": T0,
        "category": "c-a",
        "category_at": T0 + 6 * H,
    }
    reported = [(s["department_code"], s["reported_at"], s["reported_on_time"]) for s in summons]
    assert reported == [("D-B", None, False), ("D-a", T0 + 2 * H, True)]
    assert all(s["blown_at"] == T0 + H and s["grid_l3"] == PATH_A[-1] for s in summons)
    for n, other in enumerate(seen[1:], start=1):
        assert [(row | {"whistle_id": "", "petition_id": ""}) for row in other[2]] == [
            (row | {"whistle_id": "", "petition_id": ""}) for row in summons
        ], n
        assert other[:2] == (fact, point), n
