"""The weekly digest (周报) of a grid for its grid chief: the grid's subtree over one ISO week
[Monday 00:00 UTC, next Monday), built from evaluation's facts only, so the weekly job and
GetGridDigest asked later give the same digest.

- petitions submitted / closed: as the grid's scorecard counts them for the week.
- top categories: the five categories with most petitions submitted in the week (ties by
  code; uncategorised ones left out), each with the week before and `rising` by the hot-spot
  rule of domain/trends.py (this week against the previous `baseline` weeks).
- repeat locations: clusters (domain/hotspots.py, DBSCAN radius 50 m, 3 petitions) among the
  located petitions submitted in the week.
- visit coverage: households registered at the week's end visited in it (domain/coverage.py),
  0 without households.
- care on time: care visits due in the week made on time, over those due; -1 when none were due.
- care overdue: members whose care visit is overdue at the week's end.

A grid has activity in a week when a petition was submitted or closed, a household visited, a
care visit due, or a care visit overdue at its end; the job publishes only those digests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from gridplus.evaluation.domain import coverage
from gridplus.evaluation.domain.coverage import CareDue, CareMiss, HouseholdVersion, Levels, Visit
from gridplus.evaluation.domain.hotspots import PetitionPoint, repeat_locations
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import (
    PetitionHistory,
    Subject,
    SubjectKind,
    Window,
    compute,
)
from gridplus.evaluation.domain.trends import RisingRule, judge

TOP_CATEGORIES = 5
REPEAT_RADIUS_M = 50.0
REPEAT_MIN_POINTS = 3
NO_CARE_VISITS_DUE = -1.0


def week_of(day: date) -> Window:
    return Window(*period_range(PeriodKind.WEEK, day))


def last_complete_week(today: date) -> Window:
    """The ISO week before the one holding `today`."""
    return week_of(week_of(today).start - timedelta(days=1))


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int
    previous: int
    rising: bool


@dataclass(frozen=True)
class GridDigest:
    grid_code: str
    week: Window
    submitted: int
    closed: int
    top_categories: tuple[CategoryCount, ...]
    repeat_locations: int
    visits: int
    visit_coverage: float
    care_due: int
    care_on_time: float  # share, or -1 when none were due
    care_overdue: int

    @property
    def active(self) -> bool:
        return bool(
            self.submitted or self.closed or self.visits or self.care_due or self.care_overdue
        )


@dataclass(frozen=True)
class DigestFacts:
    """What evaluation knows for the week, every grid at once (each item with its grids)."""

    week: Window
    weeks: Sequence[Window]  # the baseline weeks then this one, oldest first
    histories: Sequence[tuple[Levels, PetitionHistory]]
    points: Sequence[PetitionPoint]  # located petitions submitted over `weeks`
    versions: Sequence[HouseholdVersion]
    visits: Sequence[Visit]
    dues: Sequence[CareDue]  # due in the week
    overdue: Sequence[CareMiss]  # overdue at the week's end

    def grids(self) -> set[str]:
        """Every grid (any level) the facts place something in."""
        levels: list[Levels] = [h for h, _ in self.histories]
        levels += [v.grids for v in self.versions] + [v.grids for v in self.visits]
        levels += [d.grids for d in self.dues] + [m.grids for m in self.overdue]
        found = {code for grids in levels for code in grids if code}
        for point in self.points:
            found |= set(point.grid_path)
        return found


def build(facts: DigestFacts, grid_code: str, rule: RisingRule) -> GridDigest:
    """The digest of `grid_code` (its subtree) for `facts.week`."""
    week = facts.week
    card = compute(
        Subject(SubjectKind.GRID, grid_code),
        week,
        [history for levels, history in facts.histories if grid_code in levels],
    )
    points = [p for p in facts.points if grid_code in p.grid_path]
    this_week = [p for p in points if week.holds(p.submitted_at)]
    clusters = repeat_locations(this_week, radius_m=REPEAT_RADIUS_M, min_points=REPEAT_MIN_POINTS)
    registered = coverage.registered_at(facts.versions, week.end_at)
    visits = [v for v in facts.visits if grid_code in v.grids and week.holds(v.visited_at)]
    tally = coverage.area_coverage(
        registered, visits, week, lambda g: grid_code if grid_code in g else None
    )
    households, visited = tally.get(grid_code, (0, 0))
    dues = [d for d in facts.dues if grid_code in d.grids and week.holds(d.due_at)]
    on_time = sum(1 for d in dues if d.on_time)
    return GridDigest(
        grid_code=grid_code,
        week=week,
        submitted=card.submitted,
        closed=card.closed,
        top_categories=top_categories(points, facts.weeks, rule),
        repeat_locations=len(clusters),
        visits=len(visits),
        visit_coverage=visited / households if households else 0.0,
        care_due=len(dues),
        care_on_time=on_time / len(dues) if dues else NO_CARE_VISITS_DUE,
        care_overdue=sum(1 for m in facts.overdue if grid_code in m.grids),
    )


def top_categories(
    points: Sequence[PetitionPoint], weeks: Sequence[Window], rule: RisingRule
) -> tuple[CategoryCount, ...]:
    """The busiest categories of the last week, judged against the weeks before it."""
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    for point in points:
        if not point.category:
            continue
        for index, window in enumerate(weeks):
            if window.holds(point.submitted_at):
                series[point.category][index] += 1
    busiest = sorted((c for c, s in series.items() if s[-1]), key=lambda c: (-series[c][-1], c))
    found = []
    for category in busiest[:TOP_CATEGORIES]:
        trend = judge(series[category], rule)
        found.append(CategoryCount(category, trend.current, trend.previous, trend.rising))
    return tuple(found)
