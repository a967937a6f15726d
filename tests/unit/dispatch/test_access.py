"""Who sees and moves which assignment: grid roles their grid subtrees and their own, department
roles their own department's, a department token without the claim nothing; and who may be
named to take a petition over."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gridplus.dispatch.domain.access import (
    NOTHING,
    check_department,
    check_transfer,
    eligible_assignee,
    visibility_for,
)
from gridplus.dispatch.domain.assignment import AssigneeRole, Assignment, GridPlace, Member
from gridplus.dispatch.domain.categories import Category, given
from gridplus.dispatch.domain.time_limits import Step, StepClock
from gridplus.dispatch.ports import GridDirectory
from gridplus.kit.auth import Principal, Role
from gridplus.kit.errors import InvalidArgument, NotFound, PermissionDenied

NOW = datetime(2026, 11, 27, tzinfo=UTC)
MN0502 = GridPlace("MN0502", 3, ("1", "MN05", "MN0502"), 1)
BK0602 = GridPlace("BK0602", 3, ("3", "BK06", "BK0602"), 1)
ASSIGNMENT = Assignment(
    petition_id="p-1",
    grid=MN0502,
    assignee_id="w-MN0502-1",
    assignee_role=AssigneeRole.GRID_WORKER,
    choice=given(Category("other", "其他", "Other", "other")),
    clock=StepClock(Step.VERIFY, NOW, 0, False, NOW, NOW),
    assigned_at=NOW,
    reasons=(),
)
# The probe's petition: DSNY's, in a Brooklyn grid.
DSNY_IN_BK0602 = replace(
    ASSIGNMENT, petition_id="p-dsny", grid=BK0602, assignee_id="w-BK0602-1", department_code="DSNY"
)


def who(
    role: Role, subject: str = "someone", grids: tuple[str, ...] = (), department: str = ""
) -> Principal:
    return Principal(subject, role, grids, department or None)


def sees(principal: Principal, assignment: Assignment = ASSIGNMENT) -> bool:
    return visibility_for(principal).allows(assignment)


def test_a_chief_of_an_enclosing_grid_sees_it() -> None:
    assert sees(who(Role.GRID_CHIEF, "c-MN05", ("MN05",)))


def test_a_worker_of_another_grid_does_not() -> None:
    assert not sees(who(Role.GRID_WORKER, "w-BK0101-1", ("BK0101",)))
    assert not sees(who(Role.GRID_WORKER, "w-MN0502-1", ("MN0502",)), DSNY_IN_BK0602)


def test_the_assignee_sees_their_own_without_grid_claims() -> None:
    assert sees(who(Role.GRID_WORKER, "w-MN0502-1"))


def test_admins_inspectors_and_services_see_everything() -> None:
    for role in (Role.ADMIN, Role.INSPECTOR, Role.SERVICE):
        assert sees(who(role), DSNY_IN_BK0602)


def test_a_department_sees_only_what_it_holds() -> None:
    for role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD):
        assert sees(who(role, department="DSNY"), DSNY_IN_BK0602)
        assert not sees(who(role, department="NYPD"), DSNY_IN_BK0602)
        assert not sees(who(role, department="DOT"), DSNY_IN_BK0602)
        # Another department's assignment, even in a grid the token names: no grid scope.
        assert not sees(who(role, "w-BK0602-1", ("BK0602",), "NYPD"), DSNY_IN_BK0602)


def test_a_department_token_without_the_claim_sees_nothing() -> None:
    for role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD):
        visibility = visibility_for(who(role))
        assert visibility == NOTHING and not visibility.sees_anything
        assert not visibility.allows(DSNY_IN_BK0602)
        # Not even an assignment no department holds yet (department code "").
        assert not visibility.allows(ASSIGNMENT)


def test_a_resident_sees_nothing() -> None:
    assert visibility_for(who(Role.RESIDENT, "w-MN0502-1", ("MN0502",))) == NOTHING


def test_a_place_in_triage_is_covered_by_grid_scope_only() -> None:
    path = ("3", "BK06", "BK0602")
    assert visibility_for(who(Role.GRID_CHIEF, "c-BK06", ("BK06",))).covers(path)
    assert not visibility_for(who(Role.GRID_CHIEF, "c-MN0502", ("MN0502",))).covers(path)
    assert not visibility_for(who(Role.DEPARTMENT_HEAD, department="DSNY")).covers(path)
    assert visibility_for(who(Role.ADMIN)).covers(path)


def test_a_department_cannot_move_another_departments_assignment() -> None:
    with pytest.raises(NotFound):
        check_transfer(who(Role.DEPARTMENT_STAFF, department="NYPD"), DSNY_IN_BK0602)
    with pytest.raises(NotFound):
        check_transfer(who(Role.DEPARTMENT_STAFF), DSNY_IN_BK0602)
    check_transfer(who(Role.DEPARTMENT_STAFF, department="DSNY"), DSNY_IN_BK0602)
    check_transfer(who(Role.ADMIN), DSNY_IN_BK0602)


def test_a_grid_worker_moves_only_their_own() -> None:
    with pytest.raises(PermissionDenied):
        check_transfer(who(Role.GRID_WORKER, "w-MN0502-2", ("MN0502",)), ASSIGNMENT)
    check_transfer(who(Role.GRID_WORKER, "w-MN0502-1", ("MN0502",)), ASSIGNMENT)
    check_transfer(who(Role.GRID_CHIEF, "c-MN0502", ("MN0502",)), ASSIGNMENT)


PEOPLE = {
    "BK0602": [
        Member("w-BK0602-1", AssigneeRole.GRID_WORKER),
        Member("c-BK0602", AssigneeRole.GRID_CHIEF),
    ],
    "BK06": [
        Member("c-BK06", AssigneeRole.GRID_CHIEF),
        Member("w-BK06-x", AssigneeRole.GRID_WORKER),  # a worker above: not for BK0602
    ],
    "3": [Member("c-3", AssigneeRole.GRID_CHIEF)],
}


class Squares(GridDirectory):
    def locate(self, lat: float, lon: float) -> GridPlace | None:
        return None

    def members(self, grid_code: str) -> list[Member]:
        return PEOPLE.get(grid_code, [])


def test_who_may_take_a_petition_over_the_grids_people_and_the_chiefs_above() -> None:
    assert Squares().assignees(BK0602) == {
        "w-BK0602-1": AssigneeRole.GRID_WORKER,
        "c-BK0602": AssigneeRole.GRID_CHIEF,
        "c-BK06": AssigneeRole.GRID_CHIEF,
        "c-3": AssigneeRole.GRID_CHIEF,
    }


def test_a_person_of_another_grid_cannot_be_named_assignee() -> None:
    handlers = Squares().assignees(BK0602)
    assert eligible_assignee("c-BK06", handlers, grid_code="BK0602") is AssigneeRole.GRID_CHIEF
    for stranger in ("w-MN0502-1", "w-BK06-x", "head-nypd"):
        with pytest.raises(InvalidArgument) as error:
            eligible_assignee(stranger, handlers, grid_code="BK0602")
        [violation] = error.value.violations
        assert violation.field == "to_assignee_id"
        assert stranger in violation.description and "BK0602" in violation.description


def test_an_unknown_department_is_refused_naming_the_field() -> None:
    known = frozenset({"DSNY", "NYPD"})
    check_department("NYPD", known, field="to_department_code")
    check_department("ANY", None, field="to_department_code")  # the registry cannot say
    with pytest.raises(InvalidArgument) as error:
        check_department("NYPX", known, field="to_department_code")
    assert error.value.violations[0].field == "to_department_code"
