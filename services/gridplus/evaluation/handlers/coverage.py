"""Coverage and care visits on scorecards (domain/coverage.py says what each number means): the
households, visits and care-visit facts of a period, tallied per subject of a kind and written
onto the scorecards the petition facts gave."""

from __future__ import annotations

from collections.abc import Callable, Collection, MutableMapping
from typing import TYPE_CHECKING

from gridplus.evaluation.domain import coverage
from gridplus.evaluation.domain.coverage import Levels, Tally
from gridplus.evaluation.domain.scorecard import CITY, Scorecard, Subject, SubjectKind, Window
from gridplus.evaluation.storage import households
from gridplus.kit.errors import InvalidArgument

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def tallies(
    session: Session,
    kind: SubjectKind,
    window: Window,
    grid_level: int = 0,
    within: Collection[str] | None = None,
) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """(households, visited) and (care visits due, on time) per subject id of `kind`;
    `within`: read only the facts of these (smallest) grids, for one subject's numbers."""
    if kind is SubjectKind.DEPARTMENT:
        return {}, {}  # departments have no households
    known = households.grid_levels(session)
    end = window.end_at
    versions = households.household_versions(session, end, known, within)
    registered = coverage.registered_at(versions, end)
    visits = households.visits(session, window, known, within)
    # A worker's missed due times may lie in a grid the member moved to since: read them all.
    miss_grids = None if kind is SubjectKind.WORKER else within
    misses = households.care_misses(session, window.start_at, end, known, miss_grids)
    members = {m.member_id for m in misses}
    checks = households.care_checks(session, window, known, members, grid_codes=within)
    dues = coverage.care_dues(checks, misses)
    if kind is SubjectKind.WORKER:
        cover = coverage.worker_coverage(registered, visits, window)
        return cover, coverage.care_tally(dues, window, lambda due: due.worker_id)
    area = _area(kind, grid_level)
    cover = coverage.area_coverage(registered, visits, window, area)
    return cover, coverage.care_tally(dues, window, lambda due: area(due.grids))


def _area(kind: SubjectKind, grid_level: int) -> Callable[[Levels], str | None]:
    if kind is SubjectKind.CITY:
        return lambda _grids: CITY
    return lambda grids: grids[grid_level - 1]


def fill_one(session: Session, card: Scorecard) -> None:
    """The subject's coverage and care visits onto its card."""
    kind, subject_id = card.subject.kind, card.subject.subject_id
    level, within = 0, None
    if kind is SubjectKind.GRID:
        known = households.grid_levels(session)
        level = coverage.levels_of(subject_id, known).index(subject_id) + 1
        within = households.subtree(subject_id, known)
    elif kind is SubjectKind.WORKER:
        # Where the worker ever visited: their households, and their members' earlier visits.
        within = households.worker_grids(session, subject_id)
    cover, care = tallies(session, kind, card.window, level, within)
    _write(card, cover.get(subject_id), care.get(subject_id))


def fill_all(
    session: Session,
    cards: MutableMapping[str, Scorecard],
    kind: SubjectKind,
    window: Window,
    grid_level: int = 0,
) -> None:
    """Every subject's numbers onto `cards`; a subject known only from households or visits
    (a grid with no petition yet, a worker who only visited) gets a card of its own."""
    cover, care = tallies(session, kind, window, grid_level)
    for subject_id in sorted(set(cover) | set(care)):
        if subject_id not in cards:
            cards[subject_id] = Scorecard(Subject(kind, subject_id), window)
        _write(cards[subject_id], cover.get(subject_id), care.get(subject_id))


def _write(card: Scorecard, cover: Tally | None, care: Tally | None) -> None:
    card.households, card.households_visited = cover or (0, 0)
    card.care_visits_due, card.care_visits_on_time = care or (0, 0)


def coverage_cards(
    session: Session, kind: SubjectKind, window: Window, *, grid_level: int = 0, within: str = ""
) -> list[Scorecard]:
    """Cards holding only coverage and care visits, for every worker or grid of a level with
    households or visits (`within`: grids of that grid's subtree only), by subject id."""
    if kind not in (SubjectKind.WORKER, SubjectKind.GRID):
        raise InvalidArgument.single("kind", "coverage is kept for workers and grids")
    if kind is SubjectKind.GRID and grid_level not in (1, 2, 3):
        raise InvalidArgument.single("grid_level", "choose 1, 2 or 3 for grids")
    if within and kind is not SubjectKind.GRID:
        raise InvalidArgument.single("grid", "a subtree narrows grids, not workers")
    cards: dict[str, Scorecard] = {}
    fill_all(session, cards, kind, window, grid_level)
    if within:
        known = households.grid_levels(session)
        cards = {k: c for k, c in cards.items() if within in coverage.levels_of(k, known)}
    return [cards[subject_id] for subject_id in sorted(cards)]
