"""Who gets a petition and why: least-loaded worker, ties by id, chief fallback, reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.dispatch.domain.categories import Classification
from gridplus.dispatch.domain.routing import (
    AssigneeRole,
    GridPlace,
    Member,
    NoAssignee,
    Step,
    choose_assignee,
    decide,
)

GRID = GridPlace(code="MN0502", level=3, path=("1", "MN05", "MN0502"), grid_set_version=1)
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def worker(person_id: str) -> Member:
    return Member(person_id, AssigneeRole.GRID_WORKER)


def chief(person_id: str) -> Member:
    return Member(person_id, AssigneeRole.GRID_CHIEF)


def test_the_worker_with_fewest_open_assignments_gets_the_petition() -> None:
    members = [worker("w-MN0502-1"), worker("w-MN0502-2"), chief("c-MN0502")]
    chosen = choose_assignee(GRID, members, {"w-MN0502-1": 3, "w-MN0502-2": 1, "c-MN0502": 0})
    assert (chosen.person_id, chosen.role) == ("w-MN0502-2", AssigneeRole.GRID_WORKER)
    assert chosen.reasons == ("grid_worker w-MN0502-2 has 1 open assignment (fewest)",)


def test_a_tie_goes_to_the_lowest_person_id_whatever_the_member_order() -> None:
    for members in ([worker("w-b"), worker("w-a")], [worker("w-a"), worker("w-b")]):
        chosen = choose_assignee(GRID, members, {})
        assert chosen.person_id == "w-a"
        assert chosen.reasons == (
            "grid_worker w-a has 0 open assignments (fewest; tie with w-b broken by person id)",
        )


def test_a_worker_missing_from_the_counts_has_none_open() -> None:
    chosen = choose_assignee(GRID, [worker("w-z"), worker("w-a")], {"w-a": 2})
    assert chosen.person_id == "w-z"


def test_without_workers_the_grid_chief_takes_it() -> None:
    chosen = choose_assignee(GRID, [chief("c-MN0502")], {"c-MN0502": 4})
    assert (chosen.person_id, chosen.role) == ("c-MN0502", AssigneeRole.GRID_CHIEF)
    assert chosen.reasons == (
        "no grid_worker in MN0502: the grid_chief takes it",
        "grid_chief c-MN0502 has 4 open assignments (fewest)",
    )


def test_without_worker_or_chief_routing_fails_naming_the_grid() -> None:
    with pytest.raises(NoAssignee, match="MN0502"):
        choose_assignee(GRID, [], {})


def test_the_decision_explains_grid_category_assignee_and_deadline_in_order() -> None:
    assignment = decide(
        petition_id="p-1",
        grid=GRID,
        members=[worker("w-MN0502-1"), worker("w-MN0502-2")],
        open_counts={"w-MN0502-1": 0, "w-MN0502-2": 2},
        classification=Classification("noise", "category noise given by the reporter"),
        assigned_at=NOW,
    )
    assert assignment.assignee_id == "w-MN0502-1"
    assert assignment.step is Step.VERIFY
    assert assignment.deadline == NOW + timedelta(hours=24)
    assert assignment.reasons == (
        "located in MN0502 (grid set v1)",
        "category noise given by the reporter",
        "grid_worker w-MN0502-1 has 0 open assignments (fewest)",
        "verify step deadline: 24 h for category noise",
    )


def test_a_snapped_point_says_so() -> None:
    snapped = GridPlace("MN0502", 3, ("1", "MN05", "MN0502"), 2, True, 12.4)
    assignment = decide(
        petition_id="p-1",
        grid=snapped,
        members=[worker("w-1")],
        open_counts={},
        classification=Classification("other", "category other: no keyword rule matched"),
        assigned_at=NOW,
    )
    assert (
        assignment.reasons[0] == "located in MN0502 (grid set v2), snapped 12 m to the nearest grid"
    )
