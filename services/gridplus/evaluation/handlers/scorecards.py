"""Read-side use cases: scorecards for one or every subject, rankings with stars (the export
files are rendered in api/convert.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridplus.evaluation.domain import stars
from gridplus.evaluation.domain.access import check_scorecard_access
from gridplus.evaluation.domain.scorecard import (
    CITY,
    Scorecard,
    Subject,
    SubjectKind,
    Window,
    add_petition,
    add_whistle,
    compute,
)
from gridplus.evaluation.handlers import coverage
from gridplus.evaluation.storage import queries
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.roles import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Levels = tuple[str | None, str | None, str | None]


def scorecard(
    session: Session, subject: Subject, window: Window, reader: Principal | None = None
) -> Scorecard:
    """The subject's scorecard; with `reader`, refused unless they may see the subject."""
    if reader is not None:
        check_scorecard_access(reader, subject, queries.placed_in(session, subject))
    histories = [a.history for a in queries.histories(session, window, subject)]
    summons = [s.summons for s in queries.whistle_summons(session, window, subject)]
    card = compute(subject, window, histories, summons)
    coverage.fill_one(session, card)
    return card


def check_level(kind: SubjectKind, grid_level: int) -> None:
    if kind is SubjectKind.GRID and grid_level not in (1, 2, 3):
        raise InvalidArgument.single("grid_level", "choose 1, 2 or 3 for grids")


def scorecards(
    session: Session, kind: SubjectKind, window: Window, *, grid_level: int = 0
) -> list[Scorecard]:
    """Every subject of `kind` (grids: of `grid_level`) seen in the facts, by subject id; one
    read of the period's facts, grouped in memory."""
    check_level(kind, grid_level)
    if kind is SubjectKind.CITY:
        return [scorecard(session, Subject(SubjectKind.CITY, CITY), window)]
    return several(session, window, [(kind, grid_level)])[0]


def several(
    session: Session, window: Window, kinds: Sequence[tuple[SubjectKind, int]]
) -> list[list[Scorecard]]:
    """`scorecards` of each (kind, grid level) but the city, from one read of the period's
    facts and whistle summons for all of them (the rate gauges want grids and departments)."""
    for kind, grid_level in kinds:
        check_level(kind, grid_level)
    all_cards = [
        {
            subject_id: Scorecard(Subject(kind, subject_id), window)
            for subject_id in queries.subject_ids(session, kind, grid_level)
        }
        for kind, grid_level in kinds
    ]
    items = queries.histories(session, window)
    summoned = any(kind is not SubjectKind.WORKER for kind, _ in kinds)
    summons = queries.whistle_summons(session, window) if summoned else []
    for (kind, grid_level), cards in zip(kinds, all_cards, strict=True):
        for item in items:
            key = _key(kind, grid_level, item.worker_id, item.department_code, item.grids)
            if key in cards:
                add_petition(cards[key], item.history)
        if kind is not SubjectKind.WORKER:
            for one in summons:
                key = _key(kind, grid_level, None, one.department_code, one.grids)
                if key in cards:
                    add_whistle(cards[key], one.summons)
    for (kind, grid_level), cards in zip(kinds, all_cards, strict=True):
        coverage.fill_all(session, cards, kind, window, grid_level)
    return [[cards[subject_id] for subject_id in sorted(cards)] for cards in all_cards]


def _key(
    kind: SubjectKind, level: int, worker: str | None, department: str | None, grids: Levels
) -> str | None:
    if kind is SubjectKind.WORKER:
        return worker
    if kind is SubjectKind.DEPARTMENT:
        return department
    return grids[level - 1]


@dataclass(frozen=True)
class Ranked:
    rank: int
    card: Scorecard
    rating: stars.Rating
    assessment_score: float


@dataclass(frozen=True)
class Ranking:
    entries: list[Ranked]
    excellent_ratio: float
    rule: str


def rankings(
    session: Session, kind: SubjectKind, window: Window, *, grid_level: int = 0
) -> Ranking:
    if kind is SubjectKind.CITY:
        raise InvalidArgument.single("kind", "rank WORKER, GRID or DEPARTMENT subjects")
    cards = scorecards(session, kind, window, grid_level=grid_level)
    scores: dict[str, list[float]] = defaultdict(list)
    if kind is not SubjectKind.DEPARTMENT:
        for worker_id, grids, score in queries.assessment_scores(session, window):
            key = worker_id if kind is SubjectKind.WORKER else grids[grid_level - 1]
            if key:
                scores[key].append(score)
    rated = [
        (card, stars.rate(card, scores[card.subject.subject_id]), scores[card.subject.subject_id])
        for card in cards
    ]
    # Best points first; unrated (0 stars) last; ties by subject id so the order is stable.
    rated.sort(key=lambda r: (r[1].stars == 0, -r[1].points, r[0].subject.subject_id))
    ranks = stars.ranks([r[1].points if r[1].stars else -1.0 for r in rated])
    entries = [
        Ranked(rank, card, rating, sum(s) / len(s) if s else 0.0)
        for rank, (card, rating, s) in zip(ranks, rated, strict=True)
    ]
    ratio = stars.excellent_ratio([e.rating for e in entries])
    return Ranking(entries, ratio, stars.RULE.describe())
