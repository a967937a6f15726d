"""Which counters a petition fact moves: worker, every grid on its path, and the city."""

from __future__ import annotations

from datetime import date

from gridplus.evaluation.domain.scorecard import (
    CITY,
    Increment,
    Measure,
    Subject,
    SubjectKind,
    on_assigned,
    on_submitted,
    subjects_for,
)

DAY = date(2025, 3, 4)
PATH = ["G-01", "G-01-02", "G-01-02-07"]


def test_a_submission_counts_only_for_the_city() -> None:
    assert on_submitted(DAY) == [Increment(Subject(SubjectKind.CITY, CITY), DAY, Measure.SUBMITTED)]


def test_an_assignment_counts_for_city_each_grid_on_the_path_and_the_worker() -> None:
    increments = on_assigned(DAY, "worker-7", PATH)
    assert {i.subject for i in increments} == {
        Subject(SubjectKind.CITY, CITY),
        Subject(SubjectKind.GRID, "G-01"),
        Subject(SubjectKind.GRID, "G-01-02"),
        Subject(SubjectKind.GRID, "G-01-02-07"),
        Subject(SubjectKind.WORKER, "worker-7"),
    }
    assert len(increments) == 5  # each subject once: no double counting
    assert {(i.day, i.measure) for i in increments} == {(DAY, Measure.ASSIGNED)}


def test_an_assignment_without_an_assignee_still_counts_for_the_grids_and_city() -> None:
    subjects = subjects_for("", PATH)
    assert Subject(SubjectKind.WORKER, "") not in subjects
    assert [s.kind for s in subjects] == [SubjectKind.CITY] + [SubjectKind.GRID] * 3


def test_an_assignment_with_no_grid_path_counts_for_city_and_worker() -> None:
    assert {i.subject for i in on_assigned(DAY, "worker-7", [])} == {
        Subject(SubjectKind.CITY, CITY),
        Subject(SubjectKind.WORKER, "worker-7"),
    }


def test_kind_and_measure_values_are_the_stored_names() -> None:
    assert [k.value for k in SubjectKind] == ["worker", "grid", "department", "city"]
    assert [m.value for m in Measure] == ["submitted", "assigned", "resolved", "closed", "overdue"]
