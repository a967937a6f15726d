"""Dispatch with several replicas on one PostgreSQL database: each interleaving that a second
replica (or a second thread) makes possible is forced, not hoped for. One side is held just before
its commit, with its writes made and its locks taken, until the other side has finished or is
seen waiting on a lock in pg_stat_activity; then it commits and the end state is checked.

Issue 14: late whistle reports published once however many scanners tick; a VERIFIED that moves
the clock while the scanner runs keeps its new deadline (later reported overdue); refusals counted
exactly; WatchAssignments delivers a lower change id committed after a higher one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, cast

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.dispatch.api.watch import GAP_GRACE_SECONDS, AssignmentWatch
from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.classifier import Prediction
from gridplus.dispatch.handlers import assignments as handling
from gridplus.dispatch.handlers.assignments import Caller
from gridplus.dispatch.handlers.clocks import ClockKeeper
from gridplus.dispatch.handlers.routing import PetitionRouter, PetitionToRoute
from gridplus.dispatch.handlers.whistles import blow_whistle
from gridplus.dispatch.jobs.deadlines import DeadlineScanner
from gridplus.dispatch.ports import ChainLevel
from gridplus.dispatch.storage import assignments, changes
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FailedPrecondition, NotFound
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal, Role
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory, square
from tests.integration.dispatch.test_deadlines import LADDER, MIGRATIONS, POLICY, T0, Desk
from tests.support.eventually import eventually
from tests.support.postgres import create_database, drop_database
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

ADMIN = Caller(Principal("admin-1", Role.ADMIN), Visibility(everything=True))


def staff(subject: str, department: str = "dep-env") -> Caller:
    principal = Principal(subject, Role.DEPARTMENT_STAFF, department=department)
    return Caller(principal, Visibility(department=department))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name, url = create_database("gridplus_dispatch_replicas")
    yield url
    drop_database(name)


@pytest.fixture
def desk(postgres_url: str) -> Iterator[Desk]:
    clock = ManualClock(T0)
    directory = FakeGridDirectory()
    outbox = Outbox(topic="gridplus.dispatch.events.v1", source="/gridplus/dispatch", clock=clock)
    router = PetitionRouter(directory=directory, outbox=outbox, clock=clock, policy=POLICY)
    keeper = ClockKeeper(directory=directory, policy=POLICY, clock=clock, outbox=outbox)
    with migrated_store(postgres_url, MIGRATIONS) as store:
        yield Desk(store.sessions, clock, router, keeper, outbox, directory)


def lock_waiters(url: str) -> int:
    """Sessions of the test database waiting on a row (or other) lock right now."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


class HeldBeforeCommit:
    """A session factory (one replica's) whose first transaction that wrote anything stops just
    before its commit, its writes flushed and locks held, until `release()` says go on."""

    def __init__(self, sessions: SessionFactory, release: Callable[[], bool]) -> None:
        self._sessions = sessions
        self._release = release
        self.holding = threading.Event()

    def __call__(self) -> Session:
        session = self._sessions()
        event.listen(session, "do_orm_execute", self._noted)
        event.listen(session, "before_commit", self._hold)
        return session

    @staticmethod
    def _noted(state: Any) -> None:
        if state.is_insert or state.is_update:
            state.session.info["wrote"] = True

    def _hold(self, session: Session) -> None:
        session.flush()
        if not (session.info.get("wrote") or session.dirty) or self.holding.is_set():
            return
        self.holding.set()
        eventually(self._release, "the other side finished or waits on a lock", timeout=30)

    def factory(self) -> SessionFactory:
        return cast(SessionFactory, self)


def scanner(desk: Desk, sessions: SessionFactory | None = None) -> DeadlineScanner:
    return DeadlineScanner(
        sessions=sessions or desk.sessions,
        outbox=desk.outbox,
        clock=desk.clock,
        directory=desk.directory,
        ladder=LADDER,
    )


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """`work` on a thread of its own; its result (or error) lands in the list."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(work())
        except Exception as exc:  # the test asserts on it
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def race(
    desk: Desk, url: str, first: Callable[[SessionFactory], object], second: Callable[[], object]
) -> tuple[object, object]:
    """`first` runs on sessions held before their commit; once it holds, `second` runs, and
    `first` commits when `second` has finished or waits on `first`'s locks."""
    done = threading.Event()
    held = HeldBeforeCommit(desk.sessions, lambda: done.is_set() or lock_waiters(url) > 0)
    one, first_out = in_thread(lambda: first(held.factory()))
    eventually(lambda: held.holding.is_set() or not one.is_alive(), "the first side holds")
    assert held.holding.is_set(), first_out

    def then() -> object:
        try:
            return second()
        finally:
            done.set()

    two, second_out = in_thread(then)
    one.join(60)
    two.join(60)
    assert not one.is_alive() and not two.is_alive()
    return first_out[0], second_out[0]


# -- whistle reports: late once, however many scanners -------------------------------------


def test_two_scanners_at_once_publish_each_late_whistle_report_once(
    desk: Desk, postgres_url: str
) -> None:
    worker = Caller(
        Principal("w-MN0502-1", Role.GRID_WORKER, grid_codes=("MN0502",)),
        Visibility(everything=True),
    )
    expected = set()
    for n in range(40):
        desk.route(f"p-{n}")
        with transaction(desk.sessions) as session:
            whistle = blow_whistle(
                session,
                petition_id=f"p-{n}",
                department_codes=["dep-env", "dep-police"],
                reason="blocked hydrant",
                caller=worker,
                report_minutes=5,
                known_departments=None,
                outbox=desk.outbox,
                at=desk.clock.now(),
            )
        expected |= {(whistle.whistle_id, d) for d in ("dep-env", "dep-police")}
    desk.clock.advance(timedelta(minutes=6))  # reports late; the petitions' 10 min not yet

    race(desk, postgres_url, lambda held: scanner(desk, held).tick(), scanner(desk).tick)
    scanner(desk).tick()  # and a later tick (or a restart) adds nothing

    late = desk.published(events_pb2.WhistleReportOverdue)
    published = [(e.whistle_id, e.department_code) for e in late]
    assert len(published) == len(expected) == 80
    assert set(published) == expected


def test_two_scanners_at_once_report_each_overdue_petition_once(
    desk: Desk, postgres_url: str
) -> None:
    for n in range(60):
        desk.route(f"p-{n}")
    desk.clock.advance(timedelta(minutes=10))

    first, second = race(
        desk, postgres_url, lambda held: scanner(desk, held).tick(), scanner(desk).tick
    )

    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    overdue = [e.petition_id for e in desk.published(events_pb2.PetitionOverdue)]
    assert sorted(overdue) == sorted(f"p-{n}" for n in range(60))


# -- the scanner and a VERIFIED on the same row --------------------------------------------


def _verified(desk: Desk) -> None:
    desk.status("p-1", petition_pb2.PETITION_STATUS_VERIFIED)


def _handle_deadline_is_kept_and_later_reported(desk: Desk) -> None:
    new_deadline = T0 + timedelta(minutes=70)  # VERIFIED at 10 min + the 60 min handle clock
    with transaction(desk.sessions) as session:
        assignment = assignments.get(session, petition_id="p-1")
    assert assignment is not None
    assert (assignment.deadline, assignment.breached) == (new_deadline, False)
    assert assignment.next_escalation_at is None
    desk.clock.advance(timedelta(minutes=60))
    assert scanner(desk).tick().overdue == 1
    deadlines = [
        e.deadline.ToDatetime().replace(tzinfo=T0.tzinfo)
        for e in desk.published(events_pb2.PetitionOverdue)
    ]
    assert deadlines[-1] == new_deadline
    assert deadlines.count(new_deadline) == 1


def test_a_verified_arriving_while_the_scanner_holds_the_row_keeps_its_new_deadline(
    desk: Desk, postgres_url: str
) -> None:
    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=10))  # the verify step is overdue

    scanned, verified = race(
        desk, postgres_url, lambda held: scanner(desk, held).tick(), lambda: _verified(desk)
    )

    assert not isinstance(verified, Exception), verified
    assert getattr(scanned, "overdue", None) == 1  # the verify deadline, reported once
    _handle_deadline_is_kept_and_later_reported(desk)


def test_a_scanner_ticking_while_a_verified_holds_the_row_never_marks_the_new_clock(
    desk: Desk, postgres_url: str
) -> None:
    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=10))

    def verify(held: SessionFactory) -> None:
        keeper = ClockKeeper(
            directory=desk.directory, policy=POLICY, clock=desk.clock, outbox=desk.outbox
        )
        router = desk.router
        on_held = Desk(held, desk.clock, router, keeper, desk.outbox, desk.directory)
        _verified(on_held)

    verified, scanned = race(desk, postgres_url, verify, scanner(desk).tick)

    assert not isinstance(verified, Exception), verified
    assert getattr(scanned, "overdue", None) == 0  # skipped the held row; the next tick decides
    assert scanner(desk).tick().overdue == 0  # the new handle clock is not due yet
    _handle_deadline_is_kept_and_later_reported(desk)


# -- refusals ------------------------------------------------------------------------------


def _refuse(desk: Desk, sessions: SessionFactory, who: str) -> object:
    with transaction(sessions) as session:
        refused, _ = handling.refuse(
            session,
            petition_id="p-1",
            reason="not ours",
            caller=staff(who),
            grid_chiefs=["c-MN0502"],
            outbox=desk.outbox,
            at=desk.clock.now(),
        )
        return refused.refusals


def test_two_refusals_at_once_are_counted_as_what_they_are(desk: Desk, postgres_url: str) -> None:
    """Two staff of the department refuse at once: the first refusal sends the petition back, so
    the second meets an assignment that is no longer the department's (NOT_FOUND); never two
    events both saying "refusal 1"."""
    desk.route("p-1")

    first, second = race(
        desk,
        postgres_url,
        lambda held: _refuse(desk, held, "s-1"),
        lambda: _refuse(desk, desk.sessions, "s-2"),
    )

    assert first == 1
    assert isinstance(second, NotFound)
    refused = desk.published(events_pb2.AssignmentRefused)
    assert [e.refusal_count for e in refused] == [1]
    with transaction(desk.sessions) as session:
        assignment = assignments.get(session, petition_id="p-1")
    assert assignment is not None and assignment.refusals == 1


# -- WatchAssignments ------------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watch(desk: Desk, after: int, ticks: Ticks) -> AssignmentWatch:
    request = dispatch_pb2.WatchAssignmentsRequest(after_change_id=after)
    return AssignmentWatch(
        desk.sessions, request, ADMIN.principal, ADMIN.visibility, monotonic=ticks
    )


def _accept(session: Session, petition_id: str, at: Any) -> None:
    handling.accept(session, petition_id=petition_id, caller=ADMIN, at=at)


def _delivered(watch: AssignmentWatch) -> list[tuple[int, str]]:
    _, batch = watch.next_batch()
    return [(change_id, assignment.petition_id) for change_id, assignment, _ in batch]


def test_a_lower_change_id_committed_after_a_higher_one_is_still_watched(desk: Desk) -> None:
    for petition_id in ("p-1", "p-2", "p-3", "p-4"):
        desk.route(petition_id)
    with transaction(desk.sessions) as session:
        start = changes.latest(session)
    ticks = Ticks()
    watch = _watch(desk, start, ticks)
    at = desk.clock.now()

    slow = desk.sessions()  # replica A: takes the lower change id, commits late
    slow_tx: SessionTransaction = slow.begin()
    _accept(slow, "p-1", at)
    with transaction(desk.sessions) as session:  # replica B: the higher id, committed first
        _accept(session, "p-2", at)

    assert _delivered(watch) == []  # held back behind the lower id in flight
    assert watch.cursor == start
    slow_tx.commit()
    slow.close()
    assert _delivered(watch) == [(start + 1, "p-1"), (start + 2, "p-2")]

    # A transaction that rolled back leaves a hole for good: skipped once the grace has passed.
    doomed = desk.sessions()
    doomed_tx = doomed.begin()
    _accept(doomed, "p-3", at)
    doomed_tx.rollback()
    doomed.close()
    with transaction(desk.sessions) as session:
        _accept(session, "p-4", at)
    assert _delivered(watch) == []
    ticks.now += GAP_GRACE_SECONDS - 1
    assert _delivered(watch) == []
    ticks.now += 1
    assert _delivered(watch) == [(start + 4, "p-4")]

    # Resumed from a cursor (the id of the last change it was given): nothing missed, no repeat.
    resumed_ticks = Ticks()
    resumed = _watch(desk, start + 1, resumed_ticks)
    assert _delivered(resumed) == [(start + 2, "p-2")]  # then the hole, young for a new watch
    resumed_ticks.now += GAP_GRACE_SECONDS
    assert _delivered(resumed) == [(start + 4, "p-4")]
    assert _delivered(resumed) == []


# -- triage: two people choosing at once ---------------------------------------------------


class Unsure:
    def predict(self, title: str, description: str) -> Prediction:
        return Prediction("nyc.noise_residential", 0.1, "en")


def test_two_people_taking_a_petition_out_of_triage_at_once_assign_it_once(
    desk: Desk, postgres_url: str
) -> None:
    router = PetitionRouter(
        directory=desk.directory,
        outbox=desk.outbox,
        clock=desk.clock,
        policy=POLICY,
        classifier=Unsure(),
        threshold=0.35,
    )
    petition = PetitionToRoute("p-1", "hello", "", "", square("MN0502").centre())
    with transaction(desk.sessions) as session:
        router.route(session, petition)
    with transaction(desk.sessions) as session:
        item = router.waiting(session, petition_id="p-1", visibility=Visibility(everything=True))

    def choose(sessions: SessionFactory, person: str) -> object:
        placement = router.prepare_triage(item, "nyc.noise_residential", person)
        with transaction(sessions) as session:
            assigned = router.route_triaged(session, petition_id="p-1", placement=placement)
            return None if assigned is None else assigned.petition_id

    first, second = race(
        desk,
        postgres_url,
        lambda held: choose(held, "c-1"),
        lambda: choose(desk.sessions, "c-2"),
    )

    assert first == "p-1"
    assert isinstance(second, FailedPrecondition), second  # not a duplicate-key error
    assert [e.petition_id for e in desk.published(events_pb2.PetitionAssigned)] == ["p-1"]


# -- the loops survive a database error ----------------------------------------------------


def test_the_scan_loop_logs_a_database_error_and_carries_on(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=10))
    calls = 0

    def flaky() -> Session:
        nonlocal calls
        calls += 1
        if calls <= 2:  # the database is unreachable for the first rounds
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))
        return desk.sessions()

    looping = DeadlineScanner(
        sessions=cast(SessionFactory, flaky),
        outbox=desk.outbox,
        clock=desk.clock,
        directory=desk.directory,
        ladder=LADDER,
        interval_seconds=0.01,
    )
    stop = threading.Event()
    loop = threading.Thread(target=looping.run, args=(stop,), daemon=True)
    loop.start()
    try:
        eventually(lambda: desk.published(events_pb2.PetitionOverdue), "the breach reported")
    finally:
        stop.set()
        loop.join(10)
    assert "deadline scan failed" in caplog.text
    assert [e.petition_id for e in desk.published(events_pb2.PetitionOverdue)] == ["p-1"]


# -- escalation and a clock that moves while the chiefs are looked up -----------------------


class VerifiedDuringLookup(FakeGridDirectory):
    """Grid-registry is asked for the chiefs between the scanner's two transactions: the
    petition is VERIFIED (on another replica) right then."""

    def __init__(self, on_lookup: Callable[[], None]) -> None:
        self.on_lookup = on_lookup

    def chain(self, grid_code: str) -> list[ChainLevel]:
        self.on_lookup()
        self.on_lookup = lambda: None
        return super().chain(grid_code)


def test_a_rung_is_not_climbed_for_a_deadline_that_moved_meanwhile(desk: Desk) -> None:
    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=10))  # the verify breach; its rung 1 is due at once

    looking_up = DeadlineScanner(
        sessions=desk.sessions,
        outbox=desk.outbox,
        clock=desk.clock,
        directory=VerifiedDuringLookup(lambda: _verified(desk)),
        ladder=LADDER,
    )
    result = looking_up.tick()
    assert (result.overdue, result.escalated) == (1, 0)  # the breach it was climbing is gone

    with transaction(desk.sessions) as session:
        assignment = assignments.get(session, petition_id="p-1")
    assert assignment is not None
    assert (assignment.escalation_rung, assignment.next_escalation_at) == (0, None)
    assert assignment.deadline == T0 + timedelta(minutes=70)  # the new handle clock
    assert desk.published(events_pb2.PetitionEscalated) == []
    _handle_deadline_is_kept_and_later_reported(desk)
