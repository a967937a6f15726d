"""Routing a consumer batch: many PetitionSubmitted in one transaction (kit.batch), as dispatch's
consumer applies a poll. Each petition's workload count must include the assignments made
earlier in the same batch, and the ones closed in it, exactly as when each event had its own
transaction; and nothing counted in a transaction that rolled back may outlive it. Runs on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from prometheus_client import REGISTRY
from sqlalchemy import event, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.time_limits import TimePolicy
from gridplus.dispatch.handlers.clocks import ClockKeeper
from gridplus.dispatch.handlers.routing import PetitionRouter, PetitionToRoute
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.dispatch.storage.models import AssignmentRow
from gridplus.kit.batch import BatchApplier
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory, create_database_engine, create_session_factory
from gridplus.kit.db import transaction as unit_of_work
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory, square
from tests.support.records import consumer_record

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/dispatch/storage/alembic"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
GRID = square("MN0502")  # two workers: w-MN0502-1 and w-MN0502-2
CATEGORY = "urban_rural_construction"


@dataclass
class Dispatch:
    sessions: SessionFactory
    router: PetitionRouter
    applier: BatchApplier
    offset: int = 0

    def apply(self, payloads: list[Message]) -> None:
        """The payloads as one poll of one partition: one transaction, unless the batch is cut."""
        records = []
        for payload in payloads:
            records.append(record(self.offset, payload))
            self.offset += 1
        assert self.applier.apply(records, one_by_one) is None

    def assigned(self) -> dict[str, tuple[str, str]]:
        """(assignee, the reason naming the workload) per petition id."""
        with unit_of_work(self.sessions) as session:
            rows = session.execute(
                select(AssignmentRow.petition_id, AssignmentRow.assignee_id, AssignmentRow.reasons)
            ).all()
        return {pid: (who, _workload(reasons)) for pid, who, reasons in rows}


def _workload(reasons: list[str]) -> str:
    return next(r for r in reasons if " open assignment" in r)


def submitted(petition_id: str) -> events_pb2.PetitionSubmitted:
    lat, lon = GRID.centre()
    return events_pb2.PetitionSubmitted(
        petition_id=petition_id,
        title="pothole",
        category=CATEGORY,
        location=common_pb2.GeoPoint(lat=lat, lon=lon),
    )


def merged(petition_id: str) -> events_pb2.PetitionMerged:
    return events_pb2.PetitionMerged(petition_id=petition_id)


def record(offset: int, payload: Message) -> Any:
    key = payload.petition_id  # type: ignore[attr-defined]
    return consumer_record(offset, payload, key=key, source="/gridplus/petition", time=T0)


def one_by_one(record: Any, attempts: int) -> bool:
    raise AssertionError(f"record {record.offset} was not applied in its batch")


@pytest.fixture
def dispatch(database_url: str) -> Iterator[Dispatch]:
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    sessions = create_session_factory(engine)
    clock = ManualClock(T0)
    directory = FakeGridDirectory()
    outbox = Outbox(topic="test.dispatch.events.v1", source="/gridplus/dispatch", clock=clock)
    policy = TimePolicy(BusinessCalendar(), {})
    router = PetitionRouter(directory=directory, outbox=outbox, clock=clock, policy=policy)
    keeper = ClockKeeper(directory=directory, policy=policy, clock=clock, outbox=outbox)
    applier = BatchApplier(
        name="dispatch",
        handlers=handlers(router, keeper, sessions),
        sessions=sessions,
        clock=clock,
        after_commit=lambda: None,
    )
    yield Dispatch(sessions, router, applier)
    engine.dispose()


def test_a_batch_balances_its_own_petitions_as_one_by_one_would(dispatch: Dispatch) -> None:
    dispatch.apply([submitted("p-0")])  # an earlier batch: worker 1 holds one already

    dispatch.apply([submitted(f"p-{n}") for n in range(1, 5)])

    tie = "(fewest; tie with w-MN0502-2 broken by person id)"
    assert dispatch.assigned() == {
        "p-0": ("w-MN0502-1", f"grid_worker w-MN0502-1 has 0 open assignments {tie}"),
        "p-1": ("w-MN0502-2", "grid_worker w-MN0502-2 has 0 open assignments (fewest)"),
        "p-2": ("w-MN0502-1", f"grid_worker w-MN0502-1 has 1 open assignment {tie}"),
        "p-3": ("w-MN0502-2", "grid_worker w-MN0502-2 has 1 open assignment (fewest)"),
        "p-4": ("w-MN0502-1", f"grid_worker w-MN0502-1 has 2 open assignments {tie}"),
    }


def test_an_assignment_closed_in_the_batch_no_longer_counts(dispatch: Dispatch) -> None:
    # p-1 and p-3 go to worker 1, p-2 to worker 2; p-3 merged away closes: 1 open each.
    batch = [submitted("p-1"), submitted("p-2"), submitted("p-3"), merged("p-3")]

    dispatch.apply([*batch, submitted("p-4")])

    assigned = dispatch.assigned()
    assert [assigned[p][0] for p in ("p-1", "p-2", "p-3")] == [
        "w-MN0502-1",
        "w-MN0502-2",
        "w-MN0502-1",
    ]
    assert assigned["p-4"] == (
        "w-MN0502-1",
        "grid_worker w-MN0502-1 has 1 open assignment "
        "(fewest; tie with w-MN0502-2 broken by person id)",
    )


def test_counts_of_a_rolled_back_transaction_are_forgotten(dispatch: Dispatch) -> None:
    router = dispatch.router
    with dispatch.sessions() as session:
        with pytest.raises(RuntimeError), session.begin():
            router.route(session, PetitionToRoute("p-gone", "", "", CATEGORY, GRID.centre()))
            raise RuntimeError("the batch failed after routing p-gone")
        # The same session, a new transaction: worker 1's rolled-back assignment is gone.
        with session.begin():
            router.route(session, PetitionToRoute("p-1", "", "", CATEGORY, GRID.centre()))

    assert dispatch.assigned() == {
        "p-1": (
            "w-MN0502-1",
            "grid_worker w-MN0502-1 has 0 open assignments "
            "(fewest; tie with w-MN0502-2 broken by person id)",
        )
    }


def routed_count() -> float:
    found = REGISTRY.get_sample_value(
        "gridplus_dispatch_routing_seconds_count", {"outcome": "assigned"}
    )
    return found or 0.0


def test_routing_metrics_count_what_committed_once_it_committed(dispatch: Dispatch) -> None:
    router, before = dispatch.router, routed_count()
    with dispatch.sessions() as session:
        with pytest.raises(RuntimeError), session.begin():
            router.route(session, PetitionToRoute("p-gone", "", "", CATEGORY, GRID.centre()))
            raise RuntimeError("rolled back")
        with session.begin():
            for petition_id in ("p-1", "p-2"):
                router.route(session, PetitionToRoute(petition_id, "", "", CATEGORY, GRID.centre()))
            assert routed_count() == before  # not yet committed

    assert routed_count() == before + 2


def statements(engine: Any, *starts: str) -> list[str]:
    """Every statement the engine runs that contains one of `starts`."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if any(start in statement for start in starts):
            seen.append(statement.split("(")[0].strip())

    event.listen(engine, "before_cursor_execute", record)
    return seen


def test_a_poll_asks_once_what_was_routed_and_writes_its_assignments_together(
    dispatch: Dispatch,
) -> None:
    engine = dispatch.sessions.kw["bind"]
    reads = statements(engine, "FROM triage")  # routing's "routed already?" question
    writes = statements(engine, "INSERT INTO assignment", "INSERT INTO kit_outbox")

    dispatch.apply([submitted(f"p-{n}") for n in range(20)])

    assert len(dispatch.assigned()) == 20
    assert len(reads) == 1  # one question for the poll, not one per petition
    # One statement per table for the poll (an executemany each), not three per petition.
    assert sorted(writes) == [
        "INSERT INTO assignment_changes",
        "INSERT INTO assignment_grids",
        "INSERT INTO assignments",
        "INSERT INTO kit_outbox_messages",
    ]


def test_a_petition_sent_again_in_a_later_poll_or_the_same_is_assigned_once(
    dispatch: Dispatch,
) -> None:
    dispatch.apply([submitted("p-1")])

    # The same petitions under new event ids: p-1 from an earlier poll, p-2 twice in this one.
    dispatch.apply([submitted("p-1"), submitted("p-2"), submitted("p-2"), submitted("p-3")])

    assert sorted(dispatch.assigned()) == ["p-1", "p-2", "p-3"]
    with unit_of_work(dispatch.sessions) as session:
        assigned = session.execute(
            select(outbox_messages.c.key).where(
                outbox_messages.c.ce_type == "gridplus.events.v1.PetitionAssigned"
            )
        ).scalars()
        assert sorted(assigned) == ["p-1", "p-2", "p-3"]  # each announced once
