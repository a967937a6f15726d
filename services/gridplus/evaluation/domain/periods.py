"""Calendar periods (UTC): a day, ISO week, month or year around an anchor, as [start, end)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


def period_range(kind: PeriodKind, anchor: date) -> tuple[date, date]:
    """The period of `kind` containing `anchor`: start inclusive, end exclusive."""
    if kind is PeriodKind.DAY:
        return anchor, anchor + timedelta(days=1)
    if kind is PeriodKind.WEEK:
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=7)
    if kind is PeriodKind.MONTH:
        start = anchor.replace(day=1)
        if start.month == 12:
            return start, date(start.year + 1, 1, 1)
        return start, date(start.year, start.month + 1, 1)
    return date(anchor.year, 1, 1), date(anchor.year + 1, 1, 1)
