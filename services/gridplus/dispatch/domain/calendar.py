"""Business calendar: working hours on working days, in the city's time zone.

A step limit of "8 working hours" that starts Friday 16:00 ends Monday afternoon, not Saturday
midnight. Weekends and holidays are off; a make-up working day (调休) on a weekend is on. Pure: the
calendar is a value built from configuration, instants are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_MAX_DAYS = 3660  # a limit that needs ten years of working days is a configuration error


@dataclass(frozen=True)
class BusinessCalendar:
    zone: str = "Asia/Shanghai"
    # Working periods of a day, in order, not overlapping: 09:00-12:00 and 13:30-17:30 by default.
    periods: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(17, 30)))
    weekdays: frozenset[int] = frozenset(range(5))  # Monday=0 .. Friday=4
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # make-up days on weekends

    def __post_init__(self) -> None:
        ZoneInfo(self.zone)  # an unknown zone fails here, at configuration, not mid-routing
        if not self.periods:
            raise ValueError("a business calendar needs at least one working period")
        for start, end in self.periods:
            if start >= end:
                raise ValueError(f"working period {start}-{end} ends before it starts")

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def _spans(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        return _day_spans(self.zone, self.periods, day)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` of working time after `start` (which may lie outside hours)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        left = timedelta(seconds=max(0.0, seconds))
        day = start.astimezone(ZoneInfo(self.zone)).date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                for span_start, span_end in self._spans(day):
                    begin = max(span_start, start)
                    if begin >= span_end:
                        continue
                    if begin + left <= span_end:
                        return (begin + left).astimezone(UTC)
                    left -= span_end - begin
            day += timedelta(days=1)
        raise ValueError("the business calendar has no working time in ten years")

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two instants (0 when end is not after start)."""
        if end <= start:
            return 0.0
        total = timedelta()
        zone = ZoneInfo(self.zone)
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date()
        while day <= last:
            if self.is_working_day(day):
                for span_start, span_end in self._spans(day):
                    begin, finish = max(span_start, start), min(span_end, end)
                    if finish > begin:
                        total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds()


@lru_cache(maxsize=256)
def _day_spans(
    zone: str, periods: tuple[tuple[time, time], ...], day: date
) -> tuple[tuple[datetime, datetime], ...]:
    """A day's working periods as instants. Remembered (a value of its arguments alone): every
    routed petition's deadline walks the same few days, and building them was most of it."""
    tz = ZoneInfo(zone)
    return tuple(
        (datetime.combine(day, start, tz), datetime.combine(day, end, tz)) for start, end in periods
    )


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """`09:00-12:00,13:30-17:30` -> periods."""
    periods = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        periods.append((time.fromisoformat(start.strip()), time.fromisoformat(end.strip())))
    return tuple(periods)


def parse_dates(text: str) -> frozenset[date]:
    """`2026-10-01,2026-10-02` -> dates (empty text: none)."""
    return frozenset(date.fromisoformat(p.strip()) for p in text.split(",") if p.strip())


def parse_weekdays(text: str) -> frozenset[int]:
    """ISO weekday numbers `1-5` or `1,2,3,4,5,6` (Monday=1) -> Python weekdays (Monday=0)."""
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        for iso in range(int(first), int(last or first) + 1):
            if not 1 <= iso <= 7:
                raise ValueError(f"weekday {iso} is not between 1 (Monday) and 7 (Sunday)")
            days.add(iso - 1)
    return frozenset(days)
