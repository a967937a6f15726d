"""Evaluation's use cases: each takes a session (the caller's unit of work) and plain values."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from gridplus.evaluation.domain import scorecard
from gridplus.evaluation.domain.scorecard import Scorecard, Subject
from gridplus.evaluation.storage import repository


def count_submitted(session: Session, *, day: date) -> None:
    repository.add(session, scorecard.on_submitted(day))


def count_assigned(session: Session, *, day: date, assignee_id: str, grid_path: list[str]) -> None:
    repository.add(session, scorecard.on_assigned(day, assignee_id, grid_path))


def get_scorecard(session: Session, *, subject: Subject, start: date, end: date) -> Scorecard:
    counts = repository.totals(session, subject=subject, start=start, end=end)
    return Scorecard(subject=subject, start=start, end=end, counts=counts)
