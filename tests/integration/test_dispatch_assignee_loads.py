"""Issue 13: dispatch keeps each person's open assignments as a count (`assignee_loads`) instead
of counting them at every routing decision. The count follows every write that opens, closes,
moves or reopens an assignment, equals a recount of the assignments table after any mix of them
(a rolled-back transaction included), is filled in by the migration for the assignments already
there, and routing chooses exactly whom the recount would have chosen. On PostgreSQL two
transactions that change the same people's counts in opposite orders both commit (the counts are
written at commit in person order: no deadlock). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from gridplus.dispatch.domain import routing
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.time_limits import TimePolicy
from gridplus.dispatch.handlers.clocks import ClockKeeper, HandlePlan
from gridplus.dispatch.handlers.routing import PetitionRouter, PetitionToRoute
from gridplus.dispatch.storage import assignments, loads
from gridplus.dispatch.storage.models import OPEN, AssigneeLoadRow, AssignmentRow
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory, square

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "services/gridplus/dispatch/storage/alembic"
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CATEGORY = "urban_rural_construction"
GRIDS = ("MN0502", "BK0602", "MN0503")  # two workers, two workers, a chief alone
PEOPLE = ("w-MN0502-1", "w-MN0502-2", "c-MN0502", "w-BK0602-1", "w-BK0602-2", "c-MN0503")


@dataclass
class Dispatch:
    sessions: SessionFactory
    router: PetitionRouter
    keeper: ClockKeeper
    directory: FakeGridDirectory

    def route(self, petition_id: str, grid: str = "MN0502") -> str:
        """Routes the petition in its own transaction; returns its assignee."""
        petition = PetitionToRoute(petition_id, "", "", CATEGORY, square(grid).centre())
        with transaction(self.sessions) as session:
            self.router.route(session, petition)
        return self.assignee(petition_id)

    def assignee(self, petition_id: str) -> str:
        with transaction(self.sessions) as session:
            found = assignments.get(session, petition_id=petition_id)
        assert found is not None
        return found.assignee_id

    def transfer(self, session: Session, petition_id: str, to: str) -> None:
        """A transfer as the handler makes it: locked, changed by the aggregate, saved."""
        assignment = assignments.get(session, petition_id=petition_id, lock=True)
        assert assignment is not None
        assignment.transfer(
            to_assignee_id=to,
            to_role=None,
            to_department_code="",
            reason="test",
            actor_id="c-MN0502",
            at=T0,
        )
        assignments.save(session, assignment)

    def close(self, session: Session, petition_id: str) -> None:
        self.keeper.close(session, petition_id=petition_id)

    def reopen(self, session: Session, petition_id: str) -> None:
        plan = HandlePlan(self.keeper.category(CATEGORY))
        self.keeper.start_handling(
            session, petition_id=petition_id, plan=plan, at=T0, why="reopened", reopened=True
        )

    def kept(self) -> dict[str, int]:
        """The kept counts, people with none left out (a row at 0 is no open assignment)."""
        with transaction(self.sessions) as session:
            rows = session.execute(select(AssigneeLoadRow.assignee_id, AssigneeLoadRow.open_count))
            return {person: count for person, count in rows if count}

    def recounted(self) -> dict[str, int]:
        with transaction(self.sessions) as session:
            return recount(session)


def recount(session: Session) -> dict[str, int]:
    """Open assignments per person, counted from the assignments table (the former way)."""
    rows = session.execute(
        select(AssignmentRow.assignee_id, func.count())
        .where(AssignmentRow.status == OPEN)
        .group_by(AssignmentRow.assignee_id)
    )
    return {person: int(count) for person, count in rows}


@pytest.fixture
def dispatch(database_url: str) -> Iterator[Dispatch]:
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    clock = ManualClock(T0)
    directory = FakeGridDirectory()
    outbox = Outbox(topic="test.dispatch.events.v1", source="/gridplus/dispatch", clock=clock)
    policy = TimePolicy(BusinessCalendar(), {})
    router = PetitionRouter(directory=directory, outbox=outbox, clock=clock, policy=policy)
    keeper = ClockKeeper(directory=directory, policy=policy, clock=clock, outbox=outbox)
    yield Dispatch(create_session_factory(engine), router, keeper, directory)
    engine.dispose()


def test_the_count_follows_open_transfer_close_reopen(dispatch: Dispatch) -> None:
    assert [dispatch.route(f"p-{n}") for n in range(3)] == [
        "w-MN0502-1",
        "w-MN0502-2",
        "w-MN0502-1",
    ]
    assert dispatch.kept() == {"w-MN0502-1": 2, "w-MN0502-2": 1}

    with transaction(dispatch.sessions) as session:
        dispatch.transfer(session, "p-0", "w-MN0502-2")
    assert dispatch.kept() == {"w-MN0502-1": 1, "w-MN0502-2": 2}

    with transaction(dispatch.sessions) as session:
        dispatch.close(session, "p-1")
        dispatch.close(session, "p-1")  # closed already: no second decrement
    assert dispatch.kept() == {"w-MN0502-1": 1, "w-MN0502-2": 1}

    with transaction(dispatch.sessions) as session:
        dispatch.reopen(session, "p-1")  # the same handler takes it again
    assert dispatch.kept() == {"w-MN0502-1": 1, "w-MN0502-2": 2}

    with transaction(dispatch.sessions) as session:  # there and back in one transaction
        dispatch.transfer(session, "p-2", "w-MN0502-2")
        dispatch.transfer(session, "p-2", "w-MN0502-1")
        dispatch.close(session, "p-0")
    assert dispatch.kept() == dispatch.recounted() == {"w-MN0502-1": 1, "w-MN0502-2": 1}


def test_the_count_is_the_recount_after_a_mixed_sequence(dispatch: Dispatch) -> None:
    rng = random.Random(13)
    routed: list[str] = []
    for step in range(12):
        for n in range(rng.randint(1, 4)):
            dispatch.route(f"p-{step}-{n}", rng.choice(GRIDS))
            routed.append(f"p-{step}-{n}")
        failing = step % 4 == 3  # every fourth transaction rolls back: none of it may count
        expected = pytest.raises(RuntimeError) if failing else nullcontext()
        with expected, transaction(dispatch.sessions) as session:
            for petition_id in rng.sample(routed, min(len(routed), 3)):
                _change(dispatch, session, petition_id, rng)
            if failing:
                raise RuntimeError("rolled back")
        assert dispatch.kept() == dispatch.recounted(), f"after step {step}"
    assert sum(dispatch.kept().values()) > 0


def test_one_session_after_a_rollback_writes_its_next_transaction_once(
    dispatch: Dispatch,
) -> None:
    """The rolled-back transaction's changes are dropped, the next one's written exactly once
    (its listener and the one the rolled-back transaction left both see the commit)."""
    dispatch.route("p-0")  # w-MN0502-1
    with dispatch.sessions() as session:
        with pytest.raises(RuntimeError), session.begin():
            dispatch.transfer(session, "p-0", "w-MN0502-2")
            raise RuntimeError("rolled back")
        with session.begin():
            dispatch.transfer(session, "p-0", "c-MN0502")
        with session.begin():
            dispatch.close(session, "p-0")
            dispatch.reopen(session, "p-0")

    assert dispatch.kept() == dispatch.recounted() == {"c-MN0502": 1}


def test_routing_chooses_whom_the_recount_would(dispatch: Dispatch) -> None:
    """The same decisions as counting the assignments table at every petition, as dispatch did."""
    rng = random.Random(7)
    for n in range(40):
        grid = square(rng.choice(GRIDS))
        with transaction(dispatch.sessions) as session:
            counted = recount(session)
        members = dispatch.directory.members(grid.code)
        place = dispatch.directory.locate(*grid.centre())
        assert place is not None
        expected = routing.choose_assignee(place, members, counted).person_id
        assert dispatch.route(f"p-{n}", grid.code) == expected
        if n % 3 == 2:
            with transaction(dispatch.sessions) as session:
                dispatch.close(session, f"p-{rng.randrange(n)}")


def test_the_migration_counts_the_assignments_already_there(database_url: str) -> None:
    engine = create_database_engine(database_url)
    try:
        migrate(engine, None)  # the kit's tables
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes.update(engine=engine, version_table="alembic_version")
        command.upgrade(config, "dispatch_0007")
        rows = [_row(f"p-{n}", PEOPLE[n % 4], "closed" if n % 5 == 0 else OPEN) for n in range(50)]
        with engine.begin() as connection:
            connection.execute(insert(AssignmentRow), rows)
        migrate(engine, MIGRATIONS)
        sessions = create_session_factory(engine)
        with transaction(sessions) as session:
            query = select(AssigneeLoadRow.assignee_id, AssigneeLoadRow.open_count)
            kept = {person: count for person, count in session.execute(query)}
            assert kept == recount(session)
            assert kept == {"w-MN0502-1": 10, "w-MN0502-2": 10, "c-MN0502": 10, "w-BK0602-1": 10}
            # What routing reads: the people with none count 0.
            assert assignments.open_counts(session, person_ids=["w-MN0502-1", "w-BK0602-2"]) == {
                "w-MN0502-1": 10,
                "w-BK0602-2": 0,
            }
    finally:
        engine.dispose()


def test_recount_repairs_counts_an_earlier_release_left_behind(dispatch: Dispatch) -> None:
    dispatch.route("p-1")
    with transaction(dispatch.sessions) as session:  # as a replica without the counts writes
        session.execute(insert(AssignmentRow), [_row("p-old", "w-MN0502-2", OPEN)])
    assert dispatch.kept() != dispatch.recounted()

    with transaction(dispatch.sessions) as session:
        loads.recount(session)

    assert dispatch.kept() == dispatch.recounted() == {"w-MN0502-1": 1, "w-MN0502-2": 1}


def test_counts_are_written_last_at_commit_in_person_order(dispatch: Dispatch) -> None:
    """The lock order that keeps two replicas from deadlocking on count rows: one statement, the
    transaction's last, its rows sorted by person, whatever order the changes came in."""
    for n, grid in enumerate(("MN0502", "MN0502", "BK0602", "BK0602")):
        dispatch.route(f"p-{n}", grid)  # p-0 w-MN0502-1, p-1 w-MN0502-2, p-2/3 BK0602's two
    engine = dispatch.sessions.kw["bind"]
    statements: list[tuple[str, object]] = []

    def seen(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with transaction(dispatch.sessions) as session:
            dispatch.transfer(session, "p-1", "w-MN0502-1")  # w-MN0502-2 -1, w-MN0502-1 +1
            dispatch.close(session, "p-2")  # w-BK0602-1 -1
            dispatch.transfer(session, "p-3", "c-MN0502")  # w-BK0602-2 -1, c-MN0502 +1
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    last, params = statements[-1]
    assert "INSERT INTO assignee_loads" in last
    assert all("assignee_loads" not in statement for statement, _ in statements[:-1])
    rows = params if isinstance(params, list) else [params]
    written = [_values(row) for row in rows]
    assert written == [
        ("c-MN0502", 1),
        ("w-BK0602-1", -1),
        ("w-BK0602-2", -1),
        ("w-MN0502-1", 1),
        ("w-MN0502-2", -1),
    ]
    assert dispatch.kept() == dispatch.recounted()


def _values(row: object) -> tuple[object, object]:
    """(assignee, delta) from a driver's parameters: named (psycopg) or positional (sqlite3)."""
    if isinstance(row, dict):
        return row["assignee_id"], row["open_count"]
    assert isinstance(row, tuple)
    return row[0], row[1]


def test_opposite_orders_at_once_both_commit(dispatch: Dispatch, database_url: str) -> None:
    """Two transactions (two replicas) change the same people's counts in opposite orders and
    commit at the same moment: the counts are written at commit in person order, so neither
    waits for the other in a cycle (written as they change, PostgreSQL aborts one as a
    deadlock)."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: the second transaction waits to begin")
    for n, grid in enumerate(("MN0502", "MN0502", "BK0602", "BK0602")):
        dispatch.route(f"p-{n}", grid)  # p-0 w-MN0502-1, p-1 w-MN0502-2, p-2/3 BK0602's two
    ready = threading.Barrier(2, timeout=10)
    failures: list[BaseException] = []

    def replica(moves: list[tuple[str, str]]) -> None:
        try:
            with transaction(dispatch.sessions) as session:
                for petition_id, to in moves:
                    dispatch.transfer(session, petition_id, to)
                ready.wait()
        except BaseException as exc:
            failures.append(exc)

    one = threading.Thread(target=replica, args=([("p-0", "w-MN0502-2"), ("p-3", "w-BK0602-1")],))
    two = threading.Thread(target=replica, args=([("p-2", "w-BK0602-2"), ("p-1", "w-MN0502-1")],))
    one.start()
    two.start()
    one.join(30)
    two.join(30)

    assert failures == []
    assert dispatch.kept() == dispatch.recounted()


def _change(dispatch: Dispatch, session: Session, petition_id: str, rng: random.Random) -> None:
    change = rng.choice(("transfer", "close", "reopen"))
    if change == "transfer":
        if _is_open(session, petition_id):
            dispatch.transfer(session, petition_id, rng.choice(PEOPLE))
    elif change == "close":
        dispatch.close(session, petition_id)
    else:
        dispatch.reopen(session, petition_id)


def _is_open(session: Session, petition_id: str) -> bool:
    found = assignments.get(session, petition_id=petition_id)
    return found is not None and not found.closed


def _row(petition_id: str, assignee_id: str, status: str) -> dict[str, object]:
    """An assignment row as the table holds it (the columns without defaults)."""
    return {
        "petition_id": petition_id,
        "grid_code": "MN0502",
        "grid_level": 3,
        "grid_path": ["1", "MN05", "MN0502"],
        "grid_set_version": 1,
        "assignee_id": assignee_id,
        "assignee_role": "grid_worker",
        "category": CATEGORY,
        "step": "verify",
        "deadline": T0,
        "assigned_at": T0,
        "reasons": [],
        "status": status,
    }
