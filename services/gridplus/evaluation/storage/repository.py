"""Reads and writes of daily counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.scorecard import Increment, Measure, Subject
from gridplus.evaluation.storage.models import DailyCount


def add(session: Session, increments: list[Increment]) -> None:
    for increment in increments:
        key = (
            increment.subject.kind.value,
            increment.subject.subject_id,
            increment.day,
            increment.measure.value,
        )
        row = session.get(DailyCount, key)
        if row is None:
            session.add(
                DailyCount(
                    subject_kind=key[0], subject_id=key[1], day=key[2], measure=key[3], count=1
                )
            )
        else:
            row.count += 1
        session.flush()


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
