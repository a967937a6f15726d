"""The light board with several dispatch replicas on one PostgreSQL database: its counts are
database-wide, so only the replica holding the kit lease exports them (a `sum` over the pods
counts each petition once), and another replica takes over when the holder dies."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from gridplus.dispatch.jobs.deadlines import DeadlineScanner
from gridplus.dispatch.metrics import LightBoard
from gridplus.kit.lease import Lease
from tests.integration.dispatch.test_deadlines import LADDER, Desk
from tests.integration.dispatch.test_replicas import desk as desk
from tests.integration.dispatch.test_replicas import postgres_url as postgres_url

pytestmark = pytest.mark.integration


def _exported(board: LightBoard) -> float:
    return sum(
        sample.value
        for family in board.collect()
        if family.name == "gridplus_dispatch_open_petitions"
        for sample in family.samples
    )


def test_the_light_board_is_exported_by_one_replica_and_taken_over_when_it_dies(
    desk: Desk,
) -> None:
    for n in range(5):
        desk.route(f"p-{n}")
    ttl = timedelta(seconds=45)
    boards = [LightBoard(), LightBoard()]
    scanners = [
        DeadlineScanner(
            sessions=desk.sessions,
            outbox=desk.outbox,
            clock=desk.clock,
            directory=desk.directory,
            ladder=LADDER,
            lights_lease=Lease(desk.sessions, "dispatch-light-board", holder, ttl, desk.clock),
            board=board,
        )
        for holder, board in zip(("replica-a", "replica-b"), boards, strict=True)
    ]

    assert [s.refresh_lights() for s in scanners] == [True, False]
    assert [_exported(b) for b in boards] == [5, 0]  # summed over the pods: 5, not 10
    desk.clock.advance(timedelta(seconds=15))
    assert [s.refresh_lights() for s in scanners] == [True, False]
    assert [_exported(b) for b in boards] == [5, 0]

    # Replica A dies (no more rounds): its lease runs out, B takes the board over.
    desk.clock.advance(ttl)
    assert _exported(boards[0]) == 0  # a stalled A stops exporting when its lease ends
    assert scanners[1].refresh_lights()
    assert [_exported(b) for b in boards] == [0, 5]


def test_a_replica_that_stops_hands_the_light_board_over_at_once(desk: Desk) -> None:
    desk.route("p-1")
    ttl = timedelta(seconds=45)
    boards = [LightBoard(), LightBoard()]
    leases = [
        Lease(desk.sessions, "dispatch-light-board", holder, ttl, desk.clock)
        for holder in ("replica-a", "replica-b")
    ]
    scanners = [
        DeadlineScanner(
            sessions=desk.sessions,
            outbox=desk.outbox,
            clock=desk.clock,
            directory=desk.directory,
            ladder=LADDER,
            lights_lease=lease,
            board=board,
        )
        for lease, board in zip(leases, boards, strict=True)
    ]
    assert scanners[0].refresh_lights()
    stop = threading.Event()
    stop.set()  # a rollout stops replica A: its light loop ends and gives the lease up
    scanners[0].run_lights(stop)
    assert _exported(boards[0]) == 0
    assert scanners[1].refresh_lights()  # no wait for the ttl
    assert [_exported(b) for b in boards] == [0, 1]
