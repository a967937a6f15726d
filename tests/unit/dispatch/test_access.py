"""Who sees which assignment: workers and chiefs their grid subtrees and their own."""

from __future__ import annotations

from datetime import UTC, datetime

from gridplus.dispatch.domain.access import visibility_for
from gridplus.dispatch.domain.categories import BUILT_IN, given
from gridplus.dispatch.domain.routing import AssigneeRole, Assignment, GridPlace
from gridplus.dispatch.domain.time_limits import Step, StepClock

NOW = datetime(2026, 11, 27, tzinfo=UTC)
ASSIGNMENT = Assignment(
    petition_id="p-1",
    grid=GridPlace("MN0502", 3, ("1", "MN05", "MN0502"), 1),
    assignee_id="w-MN0502-1",
    assignee_role=AssigneeRole.GRID_WORKER,
    choice=given(BUILT_IN["other"]),
    clock=StepClock(Step.VERIFY, NOW, 0, False, NOW, NOW),
    assigned_at=NOW,
    reasons=(),
)


def test_a_chief_of_an_enclosing_grid_sees_it() -> None:
    assert visibility_for("grid_chief", "c-MN05", ["MN05"]).allows(ASSIGNMENT)


def test_a_worker_of_another_grid_does_not() -> None:
    assert not visibility_for("grid_worker", "w-BK0101-1", ["BK0101"]).allows(ASSIGNMENT)


def test_the_assignee_sees_their_own_without_grid_claims() -> None:
    assert visibility_for("grid_worker", "w-MN0502-1", []).allows(ASSIGNMENT)


def test_other_staff_roles_see_everything() -> None:
    for role in ("department_staff", "department_head", "inspector", "admin", "service"):
        assert visibility_for(role, "someone", []).allows(ASSIGNMENT)
