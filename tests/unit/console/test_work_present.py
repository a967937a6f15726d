"""My work's pure rules: the order of the list, distances, the actions offered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gridplus.console.work.present import (
    WorkRow,
    actions_for,
    counts,
    distance_m,
    distance_text,
    light_name,
    ordered,
)
from gridplus.kit.roles import Role

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def row(pid: str, light: str, minutes: int | None) -> WorkRow:
    deadline = None if minutes is None else NOW + timedelta(minutes=minutes)
    return WorkRow(
        pid, pid, "ASSIGNED", light, deadline, "MN0502", "c", "VERIFY", False, False, "w"
    )


def test_red_first_then_yellow_then_green_each_by_the_soonest_deadline() -> None:
    rows = [
        row("g1", "GREEN", 300),
        row("r2", "RED", -5),
        row("y1", "YELLOW", 20),
        row("r1", "RED", -60),
        row("n", "NONE", None),
        row("g0", "GREEN", 100),
    ]
    assert [r.petition_id for r in ordered(rows)] == ["r1", "r2", "y1", "g0", "g1", "n"]
    assert counts(rows) == {"RED": 2, "YELLOW": 1, "GREEN": 2, "NONE": 1}


def test_light_names_from_the_proto_numbers() -> None:
    assert [light_name(n) for n in (0, 1, 2, 3)] == ["NONE", "GREEN", "YELLOW", "RED"]


def test_distance_between_two_points_of_midtown() -> None:
    # Times Square to Bryant Park's corner: about 540 m.
    meters = distance_m(40.758, -73.9855, 40.7536, -73.9832)
    assert 500 < meters < 560
    assert distance_text(meters).endswith(" m")
    assert distance_text(12_345) == "12.3 km"
    assert distance_m(40.0, -73.0, 40.0, -73.0) == 0


def test_a_new_assignment_offers_accept_verify_reject_merge_transfer_and_the_clock() -> None:
    offered = actions_for("ASSIGNED", Role.GRID_WORKER, accepted=False, has_assignment=True)
    assert offered == {"accept", "verify", "reject", "merge", "transfer", "clock", "note"}


def test_once_accepted_and_verified_the_worker_resolves() -> None:
    offered = actions_for("VERIFIED", Role.GRID_WORKER, accepted=True, has_assignment=True)
    assert "resolve" in offered and "accept" not in offered and "verify" not in offered


def test_only_departments_refuse_and_a_closed_petition_offers_nothing() -> None:
    assert "refuse" in actions_for(
        "VERIFIED", Role.DEPARTMENT_STAFF, accepted=True, has_assignment=True
    )
    assert "refuse" not in actions_for(
        "VERIFIED", Role.GRID_CHIEF, accepted=True, has_assignment=True
    )
    assert actions_for("CLOSED", Role.ADMIN, accepted=True, has_assignment=True) == set()
    assert actions_for("RESOLVED", Role.GRID_WORKER, accepted=True, has_assignment=True) == {"note"}
