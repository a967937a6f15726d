"""Clocks, lights, the deadline scanner and escalation on a real database (SQLite and
PostgreSQL), on an injected clock: overdue happens without sleeping, once per breach, even across
a restart; the petition's lifecycle events move the clock; the light board counts what is open."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY
from sqlalchemy import select

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.escalation import parse_ladder
from gridplus.dispatch.domain.time_limits import Step, TimePolicy, parse_overrides
from gridplus.dispatch.handlers.clocks import ClockKeeper
from gridplus.dispatch.handlers.routing import PetitionRouter, PetitionToRoute
from gridplus.dispatch.jobs.deadlines import DeadlineScanner
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.dispatch.ports import ChainLevel, Department, GridDirectory
from gridplus.dispatch.storage import assignments, breaches
from gridplus.kit.auth import ServiceToken
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.consumer import Prepared
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event, parse_payload
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from tests.conftest import JWT_SECRET
from tests.integration.dispatch.grid_registry_stub import (
    FakeGridDirectory,
    StubGridRegistry,
    square,
)
from tests.support.ports import free_port
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/dispatch/storage/alembic"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
# Verify 10 min, handle 60 min on the wall clock for the test category.
# A street condition handles in 120 min (staff may change the category to it at verification).
POLICY = TimePolicy(
    BusinessCalendar(),
    parse_overrides("nyc.noise_residential=600:3600;nyc.street_condition=600:7200"),
)
JWT = JwtSettings(JWT_SECRET, "gridplus")
LADDER = parse_ladder("0:grid_chief;1800:level2_chief+department_head")


@dataclass
class Desk:
    sessions: SessionFactory
    clock: ManualClock
    router: PetitionRouter
    keeper: ClockKeeper
    outbox: Outbox
    directory: GridDirectory

    def scanner(self) -> DeadlineScanner:
        """A fresh scanner, as after a restart: it keeps nothing in memory."""
        return DeadlineScanner(
            sessions=self.sessions,
            outbox=self.outbox,
            clock=self.clock,
            directory=self.directory,
            ladder=LADDER,
        )

    def route(self, petition_id: str, grid_code: str = "MN0502") -> None:
        petition = PetitionToRoute(
            petition_id, "", "", "nyc.noise_residential", square(grid_code).centre()
        )
        with transaction(self.sessions) as session:
            self.router.route(session, petition)

    def deliver(self, payload: events_pb2.PetitionStatusChanged) -> None:
        event = Event.create(
            payload, key=payload.petition_id, source="/gridplus/petition", time=self.clock.now()
        )
        handler = handlers(self.router, self.keeper, self.sessions)[event.type]
        assert isinstance(handler, Prepared)
        prepared = handler.prepare(event)
        with transaction(self.sessions) as session:
            handler.apply(session, event, prepared)

    def status(
        self,
        petition_id: str,
        status: petition_pb2.PetitionStatus.ValueType,
        category: str = "",
        actor_id: str = "",
        handling_deadline: datetime | None = None,
        changed_at: datetime | None = None,
    ) -> None:
        payload = events_pb2.PetitionStatusChanged(
            petition_id=petition_id, to_status=status, category=category, actor_id=actor_id
        )
        payload.changed_at.FromDatetime(changed_at or self.clock.now())
        if handling_deadline is not None:
            payload.handling_deadline.FromDatetime(handling_deadline)
        self.deliver(payload)

    def published(self, kind: type) -> list:
        with transaction(self.sessions) as session:
            rows = session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).all()
        events = [parse_payload(row.ce_type, row.payload) for row in rows]
        return [event for event in events if isinstance(event, kind)]


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    clock = ManualClock(T0)
    directory = FakeGridDirectory()
    outbox = Outbox(topic="gridplus.dispatch.events.v1", source="/gridplus/dispatch", clock=clock)
    router = PetitionRouter(directory=directory, outbox=outbox, clock=clock, policy=POLICY)
    keeper = ClockKeeper(directory=directory, policy=POLICY, clock=clock, outbox=outbox)
    with migrated_store(database_url, MIGRATIONS) as store:
        yield Desk(store.sessions, clock, router, keeper, outbox, directory)


def test_an_overdue_petition_is_reported_once_per_breach_even_after_a_restart(desk: Desk) -> None:
    desk.route("p-1")
    assert desk.scanner().tick().overdue == 0
    desk.clock.advance(timedelta(minutes=9, seconds=59))
    assert desk.scanner().tick().overdue == 0
    desk.clock.advance(timedelta(seconds=1))
    assert desk.scanner().tick().overdue == 1
    for _ in range(3):  # later ticks, and a restarted scanner, find nothing new
        desk.clock.advance(timedelta(minutes=1))
        assert desk.scanner().tick().overdue == 0
    [overdue] = desk.published(events_pb2.PetitionOverdue)
    assert (overdue.petition_id, overdue.assignee_id, overdue.department_code) == (
        "p-1",
        "w-MN0502-1",
        "dep-env",
    )
    assert overdue.deadline.ToDatetime(tzinfo=UTC) == T0 + timedelta(minutes=10)
    assert overdue.detected_at.ToDatetime(tzinfo=UTC) == T0 + timedelta(minutes=10)
    with transaction(desk.sessions) as session:
        assert breaches.count(session, petition_id="p-1") == 1


def test_escalation_climbs_the_ladder_once_per_rung(desk: Desk) -> None:
    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=10))
    result = desk.scanner().tick()
    assert (result.overdue, result.escalated) == (1, 1)  # rung 1 is due at the deadline
    desk.clock.advance(timedelta(minutes=29))
    assert desk.scanner().tick().escalated == 0
    desk.clock.advance(timedelta(minutes=1))
    assert desk.scanner().tick().escalated == 1
    desk.clock.advance(timedelta(days=1))
    assert desk.scanner().tick().escalated == 0  # the ladder has two rungs
    first, second = desk.published(events_pb2.PetitionEscalated)
    assert (first.rung, list(first.person_ids)) == (1, ["c-MN0502"])
    assert (second.rung, list(second.person_ids)) == (2, ["c-MN05", "h-dep-env"])


def test_verification_starts_the_handle_clock_and_a_reopening_restarts_it(desk: Desk) -> None:
    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=5))
    desk.status("p-1", petition_pb2.PETITION_STATUS_VERIFIED)
    with transaction(desk.sessions) as session:
        handling = assignments.get(session, petition_id="p-1")
    assert handling is not None and handling.step is Step.HANDLE
    assert handling.deadline == T0 + timedelta(minutes=65)
    desk.clock.advance(timedelta(minutes=60))
    assert desk.scanner().tick().overdue == 1
    # Follow-up unsatisfied: a new clock, and a new breach may be reported later.
    desk.status("p-1", petition_pb2.PETITION_STATUS_REOPENED)
    assert desk.scanner().tick().overdue == 0
    desk.clock.advance(timedelta(minutes=60))
    assert desk.scanner().tick().overdue == 1
    assert len(desk.published(events_pb2.PetitionOverdue)) == 2


def test_a_resolved_petition_leaves_the_light_board_and_is_never_overdue(desk: Desk) -> None:
    desk.route("p-1")
    desk.route("p-2", "MN0503")
    desk.clock.advance(timedelta(minutes=8))  # both yellow: less than a quarter left
    scanner = desk.scanner()
    scanner.refresh_lights()

    def board(light: str, level2: str = "MN05", department: str = "dep-env") -> float:
        labels = {
            "light": light,
            "grid_level1": "1",
            "grid_level2": level2,
            "department": department,
        }
        return REGISTRY.get_sample_value("gridplus_dispatch_open_petitions", labels) or 0.0

    assert board("yellow") == 2
    desk.clock.advance(timedelta(minutes=2))
    scanner.refresh_lights()
    assert (board("yellow"), board("red")) == (0, 2)
    assert REGISTRY.get_sample_value("gridplus_dispatch_overdue_petitions") == 2
    desk.status("p-1", petition_pb2.PETITION_STATUS_RESOLVED)
    desk.status("p-2", petition_pb2.PETITION_STATUS_REJECTED)
    assert scanner.tick().overdue == 0
    scanner.refresh_lights()
    assert board("red") == 0
    assert REGISTRY.get_sample_value("gridplus_dispatch_overdue_petitions") == 0


def test_a_paused_clock_is_not_overdue_and_resumes_with_the_time_left(desk: Desk) -> None:
    from gridplus.dispatch.domain.access import EVERYTHING

    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=4))
    with transaction(desk.sessions) as session:
        desk.keeper.pause(session, petition_id="p-1", visibility=EVERYTHING)
    desk.clock.advance(timedelta(hours=5))
    assert desk.scanner().tick().overdue == 0
    with transaction(desk.sessions) as session:
        resumed = desk.keeper.resume(session, petition_id="p-1", visibility=EVERYTHING)
    assert resumed.deadline == desk.clock.now() + timedelta(minutes=6)
    desk.clock.advance(timedelta(minutes=6))
    assert desk.scanner().tick().overdue == 1


@pytest.mark.parametrize("serves_chain", [True, False], ids=["get-chain", "list-members"])
def test_the_ladder_over_grpc_comes_from_get_chain_else_from_list_members(
    desk: Desk, serves_chain: bool
) -> None:
    desk.route("p-1")  # department dep-env (head h-dep-env)
    registry = StubGridRegistry(free_port(), JWT)
    registry.servicer.serves_chain = serves_chain
    registry.start()
    channel = service_channel(f"127.0.0.1:{registry.port}", ServiceToken(JWT, "dispatch"))
    try:
        desk.directory = GrpcGridDirectory(channel, timeout=2.0)
        desk.clock.advance(timedelta(minutes=40))
        scanner = desk.scanner()
        scanner.tick()
        scanner.tick()
    finally:
        channel.close()
        registry.stop()
    first, second = desk.published(events_pb2.PetitionEscalated)
    assert list(first.person_ids) == ["c-MN0502"]
    calls = registry.servicer.calls
    if serves_chain:
        # One GetChain per tick; the department head from ListDepartments.
        assert list(second.person_ids) == ["c-MN05", "h-dep-env"]
        assert calls.count("GetChain") == 2 and "ListMembers" not in calls
    else:
        # UNIMPLEMENTED: the chiefs from the grids' members, and no head is known.
        assert list(second.person_ids) == ["c-MN05"]
        assert "ListMembers" in calls


class NoChainDirectory(FakeGridDirectory):
    """A grid-registry without GetChain (UNIMPLEMENTED answers an empty chain)."""

    def chain(self, grid_code: str) -> list[ChainLevel]:
        return []


def test_without_get_chain_the_chiefs_come_from_the_grids_members(desk: Desk) -> None:
    desk.route("p-1")
    desk.directory = NoChainDirectory()
    desk.clock.advance(timedelta(minutes=40))
    scanner = desk.scanner()
    scanner.tick()
    scanner.tick()
    first, second = desk.published(events_pb2.PetitionEscalated)
    assert list(first.person_ids) == ["c-MN0502"]
    assert list(second.person_ids) == ["c-MN05", "h-dep-env"]


def _utc(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def test_every_move_of_the_deadline_is_published_for_the_petition(desk: Desk) -> None:
    from gridplus.dispatch.domain.access import EVERYTHING

    desk.route("p-1")
    verified_at = T0 + timedelta(minutes=5)
    desk.clock.advance(timedelta(minutes=5))
    desk.status("p-1", petition_pb2.PETITION_STATUS_VERIFIED)
    desk.clock.advance(timedelta(minutes=20))
    with transaction(desk.sessions) as session:
        desk.keeper.pause(session, petition_id="p-1", visibility=EVERYTHING)
    desk.clock.advance(timedelta(hours=2))
    with transaction(desk.sessions) as session:
        resumed = desk.keeper.resume(session, petition_id="p-1", visibility=EVERYTHING)
    desk.status("p-1", petition_pb2.PETITION_STATUS_REOPENED)

    started, paused, moved, restarted = desk.published(events_pb2.PetitionDeadlineChanged)
    assert {e.petition_id for e in (started, paused, moved, restarted)} == {"p-1"}
    assert {e.step for e in (started, paused, moved, restarted)} == {
        dispatch_pb2.ASSIGNMENT_STEP_HANDLE
    }
    # Verified: 60 min of handling from the verification (yellow with 15 min left).
    assert _utc(started.changed_at) == verified_at
    assert _utc(started.deadline) == verified_at + timedelta(minutes=60)
    assert _utc(started.yellow_at) == verified_at + timedelta(minutes=45)
    assert not started.paused and "petition verified" in started.reason
    # Paused with 40 min left: same deadline, marked paused.
    assert paused.paused and _utc(paused.deadline) == _utc(started.deadline)
    assert _utc(paused.changed_at) == T0 + timedelta(minutes=25)
    # Resumed two hours later: the 40 min left run from now.
    assert not moved.paused
    assert _utc(moved.deadline) == resumed.deadline == desk.clock.now() + timedelta(minutes=40)
    assert _utc(moved.yellow_at) == desk.clock.now() + timedelta(minutes=25)
    # Reopened: a new 60 min clock.
    assert _utc(restarted.deadline) == desk.clock.now() + timedelta(minutes=60)
    assert "petition reopened" in restarted.reason


def test_a_resolved_petition_reopened_gets_a_new_handle_clock(desk: Desk) -> None:
    desk.route("p-1")
    desk.status("p-1", petition_pb2.PETITION_STATUS_VERIFIED)
    desk.clock.advance(timedelta(minutes=30))
    desk.status("p-1", petition_pb2.PETITION_STATUS_RESOLVED)
    desk.clock.advance(timedelta(days=2))
    assert desk.scanner().tick().overdue == 0  # resolved: no clock runs
    desk.status("p-1", petition_pb2.PETITION_STATUS_REOPENED)  # follow-up unsatisfied
    with transaction(desk.sessions) as session:
        found = assignments.get(session, petition_id="p-1")
        assert found is not None and not found.closed
    assert found is not None and found.assignee_id == "w-MN0502-1"
    assert found.deadline == desk.clock.now() + timedelta(minutes=60)
    _, restarted = desk.published(events_pb2.PetitionDeadlineChanged)
    assert _utc(restarted.deadline) == found.deadline
    desk.clock.advance(timedelta(minutes=60))
    assert desk.scanner().tick().overdue == 1


def test_a_rejected_petition_publishes_no_deadline_change(desk: Desk) -> None:
    desk.route("p-1")
    desk.status("p-1", petition_pb2.PETITION_STATUS_REJECTED)
    desk.status("p-1", petition_pb2.PETITION_STATUS_VERIFIED)  # a stray late event
    assert desk.published(events_pb2.PetitionDeadlineChanged) == []


class DepartmentByCategory(FakeGridDirectory):
    """Street conditions belong to the roads department; noise to the environment one."""

    def department(self, category_code: str, grid_code: str) -> Department | None:
        if category_code == "nyc.street_condition":
            return Department("dep-roads", "h-roads", "dep-roads answers for street conditions")
        return super().department(category_code, grid_code)


def test_a_category_changed_at_verification_sets_the_limit_and_the_department(
    desk: Desk,
) -> None:
    desk.route("p-1")
    desk.keeper = ClockKeeper(
        directory=DepartmentByCategory(), policy=POLICY, clock=desk.clock, outbox=desk.outbox
    )
    desk.clock.advance(timedelta(minutes=5))
    desk.status(
        "p-1", petition_pb2.PETITION_STATUS_VERIFIED, "nyc.street_condition", actor_id="worker-9"
    )

    with transaction(desk.sessions) as session:
        found = assignments.get(session, petition_id="p-1")
    assert found is not None
    assert found.category == "nyc.street_condition"
    assert found.department_code == "dep-roads"
    assert found.deadline == T0 + timedelta(minutes=5 + 120)  # the new category's 120 min
    assert found.reasons[-3:] == (
        "category changed at verification: nyc.noise_residential -> nyc.street_condition",
        "department dep-env -> dep-roads: dep-roads answers for street conditions",
        found.reasons[-1],
    )
    assert "for category nyc.street_condition" in found.reasons[-1]
    [started] = desk.published(events_pb2.PetitionDeadlineChanged)
    assert _utc(started.deadline) == found.deadline
    # The new department learns of it as a transfer; the handler and the clock stay.
    [transfer] = desk.published(events_pb2.AssignmentTransferred)
    assert (transfer.from_department_code, transfer.to_department_code) == ("dep-env", "dep-roads")
    assert transfer.from_assignee_id == transfer.to_assignee_id == "w-MN0502-1"
    assert transfer.actor_id == "worker-9"
    assert transfer.reason.startswith("category changed at verification")
    # Overdue is reported to the new department.
    desk.clock.advance(timedelta(minutes=120))
    desk.scanner().tick()
    [overdue] = desk.published(events_pb2.PetitionOverdue)
    assert (overdue.department_code, overdue.category) == ("dep-roads", "nyc.street_condition")


def test_the_same_category_at_verification_keeps_the_department(desk: Desk) -> None:
    desk.route("p-1")
    desk.status("p-1", petition_pb2.PETITION_STATUS_VERIFIED, category="nyc.noise_residential")
    with transaction(desk.sessions) as session:
        found = assignments.get(session, petition_id="p-1")
    assert found is not None
    assert (found.category, found.department_code) == ("nyc.noise_residential", "dep-env")
    assert found.deadline == T0 + timedelta(minutes=60)
    assert not any("category changed" in reason for reason in found.reasons)
    assert desk.published(events_pb2.AssignmentTransferred) == []


def test_the_handling_deadline_staff_set_at_verification_is_the_one_dispatch_keeps(
    desk: Desk,
) -> None:
    desk.route("p-1")
    desk.clock.advance(timedelta(minutes=5))
    chosen = T0 + timedelta(hours=3, minutes=5)  # three hours, not the category's 60 min
    desk.status(
        "p-1", petition_pb2.PETITION_STATUS_VERIFIED, actor_id="chief-7", handling_deadline=chosen
    )

    with transaction(desk.sessions) as session:
        found = assignments.get(session, petition_id="p-1")
    assert found is not None and found.step is Step.HANDLE
    assert found.deadline == chosen
    assert "deadline set by chief-7 at verification" in found.reasons[-1]
    # The petition is told the same instant (its yellow with a quarter of the 3 h left).
    [started] = desk.published(events_pb2.PetitionDeadlineChanged)
    assert _utc(started.deadline) == chosen
    assert _utc(started.yellow_at) == chosen - timedelta(minutes=45)
    assert "deadline set by chief-7 at verification" in started.reason
    # The scanner alerts on that instant, not after the category's 60 min.
    desk.clock.advance(timedelta(hours=3) - timedelta(seconds=1))
    assert desk.scanner().tick().overdue == 0
    desk.clock.advance(timedelta(seconds=1))
    assert desk.scanner().tick().overdue == 1
    [overdue] = desk.published(events_pb2.PetitionOverdue)
    assert _utc(overdue.deadline) == chosen


def test_a_chosen_deadline_already_past_on_arrival_is_due_now_not_earlier(desk: Desk) -> None:
    desk.route("p-1")
    verified_at = T0 + timedelta(minutes=5)
    desk.clock.advance(timedelta(minutes=30))  # the event arrives late
    desk.status(
        "p-1",
        petition_pb2.PETITION_STATUS_VERIFIED,
        actor_id="chief-7",
        handling_deadline=verified_at + timedelta(minutes=10),
        changed_at=verified_at,
    )
    [started] = desk.published(events_pb2.PetitionDeadlineChanged)
    assert _utc(started.deadline) == desk.clock.now()
    assert "had passed on arrival" in started.reason
    assert desk.scanner().tick().overdue == 1


def test_a_deadline_on_a_reopening_is_ignored_the_sla_restarts(desk: Desk) -> None:
    desk.route("p-1")
    desk.status("p-1", petition_pb2.PETITION_STATUS_VERIFIED)
    desk.status("p-1", petition_pb2.PETITION_STATUS_RESOLVED)
    desk.status(
        "p-1",
        petition_pb2.PETITION_STATUS_REOPENED,
        handling_deadline=T0 + timedelta(days=9),
    )
    with transaction(desk.sessions) as session:
        found = assignments.get(session, petition_id="p-1")
    assert found is not None and found.deadline == T0 + timedelta(minutes=60)
