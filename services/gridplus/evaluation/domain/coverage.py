"""Visit coverage (走访覆盖率) and on-time care visits (关爱走访及时率), from the facts evaluation
keeps of grid-registry's HouseholdChanged and dispatch's VisitRecorded and CareVisitOverdue.
Pure: facts in, numbers out, whatever order the events arrived in (a rebuild gives the same).

Definitions, for a period [start, end):

- households of a grid: those registered in its subtree at the end of the period, i.e. each
  household's newest version (by its version number) changed before the end, unless that
  version removed it: a removed household leaves at its change time. A household's grid is
  placed in the hierarchy by the grid paths petition events carry; a grid no event placed
  counts as a level-3 grid of its own. The city: every registered household.
- households of a worker: those registered at the end of the period in the grids (smallest
  grids) where the worker made visits in the period. Departments have none.
- visited: of those households, the ones visited at least once in the period (for a grid or
  the city by anyone, for a worker by that worker). visit coverage = visited / households,
  0 when there are none (never above 1: a household visited and then removed does not count).
- care visits due: each (member, due time) in the period, learnt from a visit's
  CareVisitCheck (its due_at) or from a CareVisitOverdue (its due_at), counted once. It is on
  time when a CareVisitCheck says the visit came no later than the due time; a missed due time
  without one counts as due and late, also once the member is visited later.
  Attribution: the grid of the member's household; the worker who made the visit, or, for a
  missed due time nobody has visited for, the worker of the member's previous care visit
  (CareVisitOverdue names no worker); a member never visited counts for grids and city only.
- care visits overdue at an instant: members with a missed due time before it and no care visit
  at or after that due time (or checked against it) before the instant, unless their household
  is known to have been removed, or no longer to hold them in a care group, by then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gridplus.evaluation.domain.scorecard import Window

Levels = tuple[str | None, str | None, str | None]


def levels_of(grid_code: str, known: Mapping[str, Levels]) -> Levels:
    """A grid's path (level 1 first); a grid no event placed is a level-3 grid of its own."""
    return known.get(grid_code) or (None, None, grid_code)


@dataclass(frozen=True)
class HouseholdVersion:
    household_id: str
    version: int
    grid_code: str
    grids: Levels
    changed_at: datetime
    removed: bool
    care_member_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Visit:
    visit_id: str
    household_id: str
    grid_code: str
    grids: Levels
    worker_id: str
    visited_at: datetime


@dataclass(frozen=True)
class CareCheck:
    """One member's care-visit check at one visit."""

    member_id: str
    due_at: datetime
    on_time: bool
    visited_at: datetime
    worker_id: str
    grids: Levels


@dataclass(frozen=True)
class CareMiss:
    """A missed due time (CareVisitOverdue)."""

    member_id: str
    due_at: datetime
    household_id: str
    grids: Levels


@dataclass(frozen=True)
class CareDue:
    member_id: str
    due_at: datetime
    on_time: bool
    worker_id: str | None
    grids: Levels


def registered_at(
    versions: Iterable[HouseholdVersion], at: datetime
) -> dict[str, HouseholdVersion]:
    """Households registered at `at`: newest version changed before it, not removed."""
    newest = _newest(versions, at)
    return {key: v for key, v in newest.items() if not v.removed}


def _newest(versions: Iterable[HouseholdVersion], at: datetime) -> dict[str, HouseholdVersion]:
    newest: dict[str, HouseholdVersion] = {}
    for version in versions:
        if version.changed_at >= at:
            continue
        held = newest.get(version.household_id)
        if held is None or version.version > held.version:
            newest[version.household_id] = version
    return newest


Tally = tuple[int, int]  # (households, visited) or (due, on time)


def area_coverage(
    households: Mapping[str, HouseholdVersion],
    visits: Iterable[Visit],
    window: Window,
    key: Callable[[Levels], str | None],
) -> dict[str, Tally]:
    """(households, visited) per area key (a grid of one level, or the city)."""
    visited = {v.household_id for v in visits if window.holds(v.visited_at)}
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for household in households.values():
        area = key(household.grids)
        if area is not None:
            found[area][0] += 1
            found[area][1] += household.household_id in visited
    return {area: (n, seen) for area, (n, seen) in found.items()}


def worker_coverage(
    households: Mapping[str, HouseholdVersion], visits: Iterable[Visit], window: Window
) -> dict[str, Tally]:
    """(households, visited) per worker: households of the grids of the worker's visits."""
    grids: dict[str, set[str]] = defaultdict(set)
    visited: dict[str, set[str]] = defaultdict(set)
    for visit in visits:
        if window.holds(visit.visited_at):
            grids[visit.worker_id].add(visit.grid_code)
            visited[visit.worker_id].add(visit.household_id)
    by_grid: dict[str, list[str]] = defaultdict(list)
    for household in households.values():
        by_grid[household.grid_code].append(household.household_id)
    found: dict[str, Tally] = {}
    for worker, codes in grids.items():
        mine = [h for code in codes for h in by_grid.get(code, ())]
        found[worker] = (len(mine), sum(1 for h in mine if h in visited[worker]))
    return found


def care_dues(checks: Iterable[CareCheck], misses: Iterable[CareMiss]) -> list[CareDue]:
    """Every (member, due time) once, on time when a check says so (module docstring)."""
    checks = sorted(checks, key=lambda c: (c.visited_at, c.worker_id, c.due_at))
    by_key: dict[tuple[str, datetime], CareDue] = {}
    for check in checks:
        key = (check.member_id, check.due_at)
        held = by_key.get(key)
        if held is None or (check.on_time and not held.on_time):
            by_key[key] = CareDue(
                check.member_id, check.due_at, check.on_time, check.worker_id, check.grids
            )
    for miss in misses:
        key = (miss.member_id, miss.due_at)
        if key not in by_key:
            worker = _previous_worker(checks, miss.member_id, miss.due_at)
            by_key[key] = CareDue(miss.member_id, miss.due_at, False, worker, miss.grids)
    return [by_key[key] for key in sorted(by_key)]


def _previous_worker(checks: list[CareCheck], member_id: str, before: datetime) -> str | None:
    """The worker of the member's latest care visit before `before` (checks sorted by time)."""
    found = None
    for check in checks:
        if check.member_id == member_id and check.visited_at < before:
            found = check.worker_id
    return found


def care_tally(
    dues: Iterable[CareDue], window: Window, key: Callable[[CareDue], str | None]
) -> dict[str, Tally]:
    """(due, on time) per key, over the due times in the window."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for due in dues:
        subject = key(due) if window.holds(due.due_at) else None
        if subject is not None:
            found[subject][0] += 1
            found[subject][1] += due.on_time
    return {subject: (n, on_time) for subject, (n, on_time) in found.items()}


def overdue_at(
    misses: Iterable[CareMiss],
    checks: Iterable[CareCheck],
    versions: Iterable[HouseholdVersion],
    at: datetime,
) -> list[CareMiss]:
    """Members overdue at `at`: one entry per member, their earliest open missed due time."""
    newest = _newest(versions, at)
    visits: dict[str, list[CareCheck]] = defaultdict(list)
    for check in checks:
        if check.visited_at < at:
            visits[check.member_id].append(check)
    open_misses: dict[str, CareMiss] = {}
    for miss in sorted(misses, key=lambda m: (m.member_id, m.due_at)):
        if miss.due_at >= at or miss.member_id in open_misses:
            continue
        answered = any(
            c.due_at == miss.due_at or c.visited_at >= miss.due_at for c in visits[miss.member_id]
        )
        household = newest.get(miss.household_id)
        gone = household is not None and (
            household.removed or miss.member_id not in household.care_member_ids
        )
        if not answered and not gone:
            open_misses[miss.member_id] = miss
    return [open_misses[m] for m in sorted(open_misses)]
