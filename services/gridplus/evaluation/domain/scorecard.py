"""Which counters an event moves: a fact about a petition counts for the worker, every grid on
its path (level 3 rolls up to 2 and 1) and the city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

CITY = "city"


class SubjectKind(StrEnum):
    WORKER = "worker"
    GRID = "grid"
    DEPARTMENT = "department"
    CITY = "city"


class Measure(StrEnum):
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    CLOSED = "closed"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    subject_id: str


@dataclass(frozen=True)
class Increment:
    subject: Subject
    day: date
    measure: Measure


def subjects_for(assignee_id: str, grid_path: list[str]) -> list[Subject]:
    subjects = [Subject(SubjectKind.CITY, CITY)]
    subjects += [Subject(SubjectKind.GRID, code) for code in grid_path]
    if assignee_id:
        subjects.append(Subject(SubjectKind.WORKER, assignee_id))
    return subjects


def on_submitted(day: date) -> list[Increment]:
    # Not yet routed: only the city knows a petition arrived.
    return [Increment(Subject(SubjectKind.CITY, CITY), day, Measure.SUBMITTED)]


def on_assigned(day: date, assignee_id: str, grid_path: list[str]) -> list[Increment]:
    return [
        Increment(subject, day, Measure.ASSIGNED)
        for subject in subjects_for(assignee_id, grid_path)
    ]


@dataclass(frozen=True)
class Scorecard:
    subject: Subject
    start: date
    end: date  # exclusive
    counts: dict[Measure, int]
