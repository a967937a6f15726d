"""Care-visit clocks on a manual clock (issue 16): a special-care member registered through
HouseholdChanged turns yellow in the last quarter of their interval, red past due; the scanner
publishes CareVisitOverdue once per missed due time (scanned twice, or by two scanners: once),
the gauges count them by grid, and a visit turns the clock green again. ListCareDue lists red
first within the caller's grids. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from gridplus.api.dispatch.v1 import dispatch_pb2, visits_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.jobs.care_clocks import CareClockScanner
from gridplus.dispatch.metrics import CareBoard
from gridplus.kit.lease import Lease
from gridplus.kit.outbox import Outbox
from tests.integration.dispatch.api_harness import TOPIC
from tests.integration.dispatch.visits_harness import (
    ADMIN,
    CHIEF,
    OTHER_WORKER,
    T0,
    WORKER,
    Visits,
    visit_api,
)

pytestmark = pytest.mark.integration

ELDERLY = ("ELDERLY_ALONE",)
LEASE, TTL = "dispatch-care-board", timedelta(seconds=30)


@pytest.fixture
def api(database_url: str) -> Iterator[Visits]:
    with visit_api(database_url) as visits:
        visits.household("hh-1", "MN0502", (("m-1", ELDERLY, 7),))
        yield visits


def replica(api: Visits) -> CareClockScanner:
    """Another dispatch replica's scanner on the same database."""
    outbox = Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=api.clock)
    return CareClockScanner(
        sessions=api.sessions, outbox=outbox, clock=api.clock, board=CareBoard()
    )


def lights(api: Visits, metadata: list[tuple[str, str]] = ADMIN, **filters: object) -> list:
    request = visits_pb2.ListCareDueRequest(**filters)  # type: ignore[arg-type]
    answer = api.stub.ListCareDue(request, metadata=metadata)
    return [(c.member_id, dispatch_pb2.Light.Name(c.light)) for c in answer.care_due]


def gauges(board: CareBoard) -> str:
    registry = CollectorRegistry()
    registry.register(board)
    return generate_latest(registry).decode()


def overdue_events(api: Visits) -> list[events_pb2.CareVisitOverdue]:
    return [payload for _, payload in api.published(events_pb2.CareVisitOverdue)]


def test_a_member_not_visited_turns_yellow_then_red_is_reported_once_and_a_visit_clears_it(
    api: Visits,
) -> None:
    api.clock.advance(timedelta(days=5))
    api.scanner.tick()
    assert lights(api) == [("m-1", "LIGHT_GREEN")]

    api.clock.advance(timedelta(hours=7))  # 1 d 17 h left of 7 d: under a quarter
    api.scanner.tick()
    assert lights(api) == [("m-1", "LIGHT_YELLOW")]
    assert 'gridplus_dispatch_care_visits_due_soon{grid="MN0502"} 1.0' in gauges(api.board)
    assert overdue_events(api) == []

    api.clock.set(T0 + timedelta(days=7, seconds=1))
    assert api.scanner.tick().overdue == 1
    assert api.scanner.tick().overdue == 0  # scanned twice: reported once
    second = CareClockScanner(sessions=api.sessions, outbox=api.scanner._outbox,
                              clock=api.clock, board=CareBoard())  # fmt: skip
    assert second.tick().overdue == 0  # another replica finds it reported
    [event] = overdue_events(api)
    assert event.member_id == "m-1" and event.household_id == "hh-1"
    assert event.grid_code == "MN0502" and list(event.care_groups) == list(ELDERLY)
    assert event.due_at.ToDatetime() == (T0 + timedelta(days=7)).replace(tzinfo=None)
    assert not event.HasField("last_visited_at")
    assert api.published(events_pb2.CareVisitOverdue)[0][0] == "m-1"  # keyed by member
    assert lights(api) == [("m-1", "LIGHT_RED")]
    text = gauges(api.board)
    assert 'gridplus_dispatch_care_visits_overdue{grid="MN0502"} 1.0' in text
    assert "gridplus_dispatch_care_visits_due_soon{" not in text

    visit = api.record()
    [recorded] = [p for _, p in api.published(events_pb2.VisitRecorded)]
    [check] = recorded.care_visits
    assert check.member_id == "m-1" and not check.on_time
    assert visit.care_member_ids == ["m-1"]
    api.scanner.tick()
    assert lights(api) == [("m-1", "LIGHT_GREEN")]
    assert "gridplus_dispatch_care_visits_overdue{" not in gauges(api.board)

    # The next due time missed is reported again, once.
    api.clock.advance(timedelta(days=7, seconds=1))
    assert api.scanner.tick().overdue == 1
    assert api.scanner.tick().overdue == 0
    assert [e.HasField("last_visited_at") for e in overdue_events(api)] == [False, True]


def test_two_scanners_at_once_report_each_missed_visit_once(api: Visits) -> None:
    for n in range(2, 42):
        api.household(f"hh-{n}", "BK0602", ((f"m-{n}", ELDERLY, 7),))
    api.clock.advance(timedelta(days=8))
    scanners = [api.scanner, replica(api), replica(api)]
    with ThreadPoolExecutor(len(scanners)) as pool:
        found = sum(t.overdue for t in pool.map(lambda s: s.tick(), scanners))
    members = sorted(e.member_id for e in overdue_events(api))
    assert found == 41 and members == sorted({f"m-{n}" for n in range(1, 42)})


def test_care_due_lists_red_first_within_the_callers_grids(api: Visits) -> None:
    api.household("hh-2", "MN0502", (("m-2", ("SUBSISTENCE",), 30),))
    api.household("hh-3", "BK0602", (("m-3", ("DISABLED", "ELDERLY_ALONE"), 7),))
    api.clock.advance(timedelta(days=2))
    api.household("hh-4", "MN0502", (("m-4", ("LEFT_BEHIND_CHILD",), 14),))
    api.clock.advance(timedelta(days=6))  # m-1 and m-3 past due

    assert lights(api) == [
        ("m-1", "LIGHT_RED"),
        ("m-3", "LIGHT_RED"),
        ("m-4", "LIGHT_GREEN"),
        ("m-2", "LIGHT_GREEN"),
    ]
    mine = [("m-1", "LIGHT_RED"), ("m-4", "LIGHT_GREEN"), ("m-2", "LIGHT_GREEN")]
    assert lights(api, WORKER) == mine
    assert lights(api, CHIEF, light=dispatch_pb2.LIGHT_RED) == [("m-1", "LIGHT_RED")]
    assert lights(api, OTHER_WORKER) == [("m-3", "LIGHT_RED")]
    assert lights(api, OTHER_WORKER, grid_code="MN0502") == []  # another grid: left out

    first = api.stub.ListCareDue(visits_pb2.ListCareDueRequest(page_size=2), metadata=ADMIN)
    assert [c.member_id for c in first.care_due] == ["m-1", "m-3"] and first.next_page_token
    rest = api.stub.ListCareDue(
        visits_pb2.ListCareDueRequest(page_size=2, page_token=first.next_page_token),
        metadata=ADMIN,
    )
    assert [c.member_id for c in rest.care_due] == ["m-4", "m-2"] and not rest.next_page_token
    [m3] = [c for c in first.care_due if c.member_id == "m-3"]
    assert m3.visit_interval_days == 7 and list(m3.care_groups) == ["DISABLED", "ELDERLY_ALONE"]


def test_an_interval_override_runs_a_clock_out_in_seconds(database_url: str) -> None:
    with visit_api(database_url, overrides={"ELDERLY_ALONE": 20}) as api:
        api.household("hh-1", "MN0502", (("m-1", ELDERLY, 7),))
        api.household("hh-2", "MN0502", (("m-2", ("DISABLED",), 14),))
        api.clock.advance(timedelta(seconds=16))
        assert lights(api) == [("m-1", "LIGHT_YELLOW"), ("m-2", "LIGHT_GREEN")]
        api.clock.advance(timedelta(seconds=5))
        assert api.scanner.tick().overdue == 1
        assert [e.member_id for e in overdue_events(api)] == ["m-1"]


def test_only_the_replica_holding_the_care_board_lease_exports_the_gauges(api: Visits) -> None:
    api.clock.advance(timedelta(days=8))
    boards = [CareBoard(), CareBoard()]
    outbox = Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=api.clock)
    scanners = [
        CareClockScanner(
            sessions=api.sessions,
            outbox=outbox,
            clock=api.clock,
            board=board,
            gauge_lease=Lease(api.sessions, LEASE, f"replica-{n}", TTL, api.clock),
        )
        for n, board in enumerate(boards)
    ]
    assert [s.refresh_gauges() for s in scanners] == [True, False]
    exported = [gauges(board) for board in boards]
    assert 'gridplus_dispatch_care_visits_overdue{grid="MN0502"} 1.0' in exported[0]
    assert "gridplus_dispatch_care_visits_overdue{" not in exported[1]
    api.clock.advance(timedelta(seconds=31))  # the first replica stalled: its lease ran out
    assert scanners[1].refresh_gauges()
    assert "gridplus_dispatch_care_visits_overdue{" not in gauges(boards[0])
    assert 'gridplus_dispatch_care_visits_overdue{grid="MN0502"} 1.0' in gauges(boards[1])
