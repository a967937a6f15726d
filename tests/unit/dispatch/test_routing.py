"""Who gets a petition and why: least-loaded worker, ties by id, chief fallback, reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.categories import (
    Category,
    CategoryChoice,
    CategorySource,
    Priority,
    given,
)
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace, Member
from gridplus.dispatch.domain.routing import NoAssignee, choose_assignee, decide
from gridplus.dispatch.domain.time_limits import Step, TimePolicy

GRID = GridPlace(code="MN0502", level=3, path=("1", "MN05", "MN0502"), grid_set_version=1)
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
POLICY = TimePolicy(BusinessCalendar(), {})
# As grid-registry would state a top-level class (its own limits, working time).
NOISE = Category(
    "urban_rural_construction",
    "城乡建设",
    "Urban and rural construction",
    "urban_rural_construction",
    Priority.NORMAL,
    verify_minutes=24 * 60,
    handle_minutes=5 * 24 * 60,
    business_calendar=True,
)


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


def test_without_worker_or_chief_the_level2_chief_takes_it() -> None:
    chosen = choose_assignee(GRID, [], {}, parent_chiefs=[chief("c-MN05")])
    assert (chosen.person_id, chosen.role) == ("c-MN05", AssigneeRole.GRID_CHIEF)
    assert chosen.reasons[0] == (
        "no grid_worker or grid_chief in MN0502: the chief of MN05 takes it"
    )


def test_without_worker_or_chief_routing_fails_naming_the_grid() -> None:
    with pytest.raises(NoAssignee, match="MN0502"):
        choose_assignee(GRID, [], {})


def _decide(grid: GridPlace, members: list[Member], counts: dict[str, int], choice: CategoryChoice):  # type: ignore[no-untyped-def]
    clock = POLICY.start(choice.category, Step.VERIFY, NOW)
    return decide(
        petition_id="p-1",
        grid=grid,
        members=members,
        open_counts=counts,
        choice=choice,
        clock=clock,
        clock_reason=POLICY.reason(clock, choice.category),
        department=("housing", "department housing is responsible for urban_rural_construction"),
        assigned_at=NOW,
    )


def test_the_decision_explains_grid_category_department_assignee_and_deadline_in_order() -> None:
    assignment = _decide(
        GRID,
        [worker("w-MN0502-1"), worker("w-MN0502-2")],
        {"w-MN0502-1": 0, "w-MN0502-2": 2},
        given(NOISE),
    )
    assert assignment.assignee_id == "w-MN0502-1"
    assert assignment.step is Step.VERIFY
    assert assignment.department_code == "housing"
    # 24 working hours of 7-hour days, from Friday 17:30 Beijing (after hours): Thursday noon.
    assert assignment.deadline == datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    assert assignment.reasons == (
        "located in MN0502 (grid set v1)",
        "category urban_rural_construction given",
        "department housing is responsible for urban_rural_construction",
        "grid_worker w-MN0502-1 has 0 open assignments (fewest)",
        "verify step deadline 2026-12-03T04:00:00+00:00: 24 h of working time (business "
        "calendar) for category urban_rural_construction (priority normal)",
    )


def test_a_snapped_point_says_so() -> None:
    snapped = GridPlace("MN0502", 3, ("1", "MN05", "MN0502"), 2, True, 12.4)
    choice = CategoryChoice(NOISE, CategorySource.CLASSIFIED, 0.9, "classified")
    assignment = _decide(snapped, [worker("w-1")], {}, choice)
    assert (
        assignment.reasons[0] == "located in MN0502 (grid set v2), snapped 12 m to the nearest grid"
    )
    assert assignment.deadline > NOW + timedelta(hours=24)
