"""The Assignment and Whistle aggregates decide and record their own events: a change of handler
never touches the clock, every move of a deadline is recorded, a closed assignment refuses
work, a department reports once and only to a whistle that summoned it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.categories import Category, Priority, given
from gridplus.dispatch.domain.events import (
    AssignmentRefused,
    AssignmentTransferred,
    PetitionAssigned,
    PetitionDeadlineChanged,
    PetitionOverdue,
    WhistleBlown,
    WhistleReported,
)
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace
from gridplus.dispatch.domain.time_limits import Light, Step, TimePolicy
from gridplus.dispatch.domain.whistles import Whistle, report_overdue, summons
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, NotFound

T0 = datetime(2026, 11, 27, 9, tzinfo=UTC)
GRID = GridPlace("MN0502", 3, ("1", "MN05", "MN0502"), 1)
STREET = Category(
    "nyc.street_condition", "道路状况", "Street Condition", "transport", Priority.HIGH, 120, 1440
)
POLICY = TimePolicy(BusinessCalendar(), {})


def assigned() -> Assignment:
    clock = POLICY.start(STREET, Step.VERIFY, T0)
    return Assignment.assign(
        petition_id="p-1",
        grid=GRID,
        assignee_id="w-1",
        assignee_role=AssigneeRole.GRID_WORKER,
        choice=given(STREET),
        clock=clock,
        assigned_at=T0,
        reasons=("located",),
        department_code="dep-env",
    )


def test_a_new_assignment_records_petition_assigned() -> None:
    assignment = assigned()
    [event] = assignment.events
    assert isinstance(event, PetitionAssigned)
    assert (event.assignee_id, event.deadline) == ("w-1", T0 + timedelta(hours=2))
    assert event.yellow_at == T0 + timedelta(hours=1, minutes=30)  # a quarter of the time left


def test_transfer_and_refusal_change_the_handler_never_the_clock() -> None:
    assignment = assigned()
    assignment.accept(by="w-1", at=T0)
    clock = assignment.clock
    assignment.transfer(
        to_assignee_id="w-2",
        to_role=AssigneeRole.GRID_WORKER,
        to_department_code="",
        reason="on leave",
        actor_id="w-1",
        at=T0 + timedelta(minutes=5),
    )
    assert (assignment.assignee_id, assignment.department_code) == ("w-2", "dep-env")
    assert assignment.accepted_at is None  # the new handler accepts anew
    first = assignment.refuse(
        department_code="dep-env", actor_id="s-1", reason="not ours", grid_chiefs=["c-1"], at=T0
    )
    assert (first.refusal_count, first.arbitrator_id, assignment.department_code) == (1, "", "")
    second = assignment.refuse(
        department_code="dep-x", actor_id="s-2", reason="nor ours", grid_chiefs=["c-1"], at=T0
    )
    assert (second.refusal_count, second.arbitrator_id) == (2, "c-1")
    assert assignment.clock == clock
    kinds = [type(e) for e in assignment.events]
    assert kinds == [PetitionAssigned, AssignmentTransferred, AssignmentRefused, AssignmentRefused]
    assert assignment.reasons[-1].endswith("refusal 2: c-1 arbitrates")


def test_pause_and_resume_move_the_deadline_and_record_it() -> None:
    assignment = assigned()
    assignment.events.clear()
    assignment.pause(POLICY, at=T0 + timedelta(hours=1), why="resident away")
    with pytest.raises(FailedPrecondition):
        assignment.pause(POLICY, at=T0 + timedelta(hours=1))
    assert assignment.light(T0 + timedelta(days=3)) is Light.GREEN  # paused: the light stays
    assignment.resume(POLICY, at=T0 + timedelta(days=2))
    assert assignment.deadline == T0 + timedelta(days=2, hours=1)
    changes = [e for e in assignment.events if isinstance(e, PetitionDeadlineChanged)]
    assert [c.clock.paused_at is not None for c in changes] == [True, False]


def test_a_new_deadline_is_a_new_breach_to_watch_for() -> None:
    assignment = assigned()
    assignment.mark_overdue(at=T0 + timedelta(hours=2), next_escalation_at=T0)
    assert assignment.breached and isinstance(assignment.events[-1], PetitionOverdue)
    assignment.escalation_rung = 1
    handle = POLICY.start(STREET, Step.HANDLE, T0 + timedelta(hours=3))
    assignment.start_clock(handle, reason="verified", at=T0 + timedelta(hours=3))
    assert (assignment.breached, assignment.escalation_rung) == (False, 0)
    assert assignment.next_escalation_at is None


def test_a_new_category_at_verification_brings_its_department_as_a_transfer() -> None:
    assignment = assigned()
    assignment.events.clear()
    transport = Category("transport", "交通运输", "Transport", "transport")
    assignment.recategorise(transport, department=None, actor_id="c-1", at=T0)
    [moved] = assignment.events
    assert isinstance(moved, AssignmentTransferred)
    assert (moved.from_department_code, moved.to_department_code) == ("dep-env", "")
    assert assignment.category == "transport"


def test_a_closed_assignment_takes_no_work() -> None:
    assignment = assigned()
    assert assignment.close() and not assignment.close()
    with pytest.raises(FailedPrecondition):
        assignment.accept(by="w-1", at=T0)
    assignment.reopen()
    assignment.accept(by="w-1", at=T0)


def test_a_whistle_is_reported_once_by_each_summoned_department() -> None:
    due = summons(["dep-a", "dep-b"], T0, 30)
    whistle = Whistle.blow(
        whistle_id="w", petition_id="p-1", grid=GRID, blown_by="c-1", due=due, reason="r", at=T0
    )
    assert isinstance(whistle.events[0], WhistleBlown)
    assert whistle.report(
        department_code="dep-a", reporter_id="s-a", note="", at=T0 + timedelta(minutes=10)
    )
    assert isinstance(whistle.events[-1], WhistleReported)
    with pytest.raises(FailedPrecondition):
        whistle.report(department_code="dep-a", reporter_id="s-a", note="", at=T0)
    with pytest.raises(NotFound):
        whistle.report(department_code="dep-x", reporter_id="s-x", note="", at=T0)
    late = whistle.report_of("dep-b")
    assert late is not None and late.light(T0 + timedelta(minutes=25)) is Light.YELLOW
    overdue = report_overdue("w", "p-1", late, T0 + timedelta(minutes=31))
    assert overdue.department_code == "dep-b" and late.breached
    with pytest.raises(InvalidArgument):
        summons([], T0, 30)
