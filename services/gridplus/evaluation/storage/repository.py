"""Reads and writes of daily counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.scorecard import Increment, Measure, Subject
from gridplus.evaluation.storage.models import DailyCount


def add(session: Session, increments: list[Increment]) -> None:
    # One atomic upsert per counter: a read-then-write would lose counts (or fail on the
    # insert) when consumer replicas move the same counter at once.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for increment in increments:
        statement = insert(DailyCount).values(
            subject_kind=increment.subject.kind.value,
            subject_id=increment.subject.subject_id,
            day=increment.day,
            measure=increment.measure.value,
            count=1,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["subject_kind", "subject_id", "day", "measure"],
                set_={"count": DailyCount.count + 1},
            )
        )


def totals(session: Session, *, subject: Subject, start: date, end: date) -> dict[Measure, int]:
    rows = session.execute(
        select(DailyCount.measure, func.sum(DailyCount.count))
        .where(
            DailyCount.subject_kind == subject.kind.value,
            DailyCount.subject_id == subject.subject_id,
            DailyCount.day >= start,
            DailyCount.day < end,
        )
        .group_by(DailyCount.measure)
    ).all()
    found = {Measure(measure): int(total) for measure, total in rows}
    return {measure: found.get(measure, 0) for measure in Measure}
