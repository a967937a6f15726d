"""Reads that feed the scorecard domain: petition histories and whistle summons touching a
period, for one subject or for every subject of a kind at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from gridplus.evaluation.domain.scorecard import (
    FollowUpFact,
    FollowUpOutcome,
    PetitionHistory,
    StatusChange,
    Subject,
    SubjectKind,
    WhistleSummons,
    Window,
)
from gridplus.evaluation.storage.models import (
    AssessmentRow,
    FollowUpRow,
    GridPathRow,
    OverdueRow,
    PetitionFact,
    StatusChangeRow,
    VisitRow,
    WhistleSummonsRow,
)

_CHUNK = 500


@dataclass(frozen=True)
class Attributed:
    """A petition history with the subject ids it counts for."""

    history: PetitionHistory
    worker_id: str | None
    department_code: str | None
    grids: tuple[str | None, str | None, str | None]


def _grid_column(level: int) -> InstrumentedAttribute[str | None]:
    return {1: PetitionFact.grid_l1, 2: PetitionFact.grid_l2, 3: PetitionFact.grid_l3}[level]


def _petition_filter(subject: Subject | None) -> ColumnElement[bool]:
    if subject is None or subject.kind is SubjectKind.CITY:
        return true()
    if subject.kind is SubjectKind.WORKER:
        return PetitionFact.worker_id == subject.subject_id
    if subject.kind is SubjectKind.DEPARTMENT:
        return PetitionFact.department_code == subject.subject_id
    code = subject.subject_id
    return or_(
        PetitionFact.grid_l1 == code, PetitionFact.grid_l2 == code, PetitionFact.grid_l3 == code
    )


def histories(session: Session, window: Window, subject: Subject | None = None) -> list[Attributed]:
    """Petitions (of `subject`, or all) with at least one fact inside the window. Plain columns,
    not ORM objects: a month's scorecards read tens of thousands of rows, and building an
    object for each was most of the read."""
    fact = PetitionFact
    facts = session.execute(
        select(
            fact.petition_id,
            fact.submitted_at,
            fact.assigned_at,
            fact.verify_deadline,
            fact.merged,
            fact.worker_id,
            fact.department_code,
            fact.grid_l1,
            fact.grid_l2,
            fact.grid_l3,
        )
        .where(
            _petition_filter(subject),
            fact.last_at >= window.start_at,
            fact.first_at < window.end_at,
        )
        .order_by(fact.petition_id)
    ).all()
    changes: dict[str, list[StatusChange]] = defaultdict(list)
    follow_ups: dict[str, list[FollowUpFact]] = defaultdict(list)
    overdues: dict[str, list] = defaultdict(list)
    change, follow_up, overdue = StatusChangeRow, FollowUpRow, OverdueRow
    for ids in _chunks([f.petition_id for f in facts]):
        for petition_id, at, old, new in session.execute(
            select(change.petition_id, change.changed_at, change.from_status, change.to_status)
            .where(change.petition_id.in_(ids))
            .order_by(change.changed_at, change.to_status)
        ):
            changes[petition_id].append(StatusChange(at, old, new))
        for petition_id, at, outcome in session.execute(
            select(follow_up.petition_id, follow_up.completed_at, follow_up.outcome)
            .where(follow_up.petition_id.in_(ids))
            .order_by(follow_up.completed_at, follow_up.id)
        ):
            follow_ups[petition_id].append(FollowUpFact(at, FollowUpOutcome(outcome)))
        for petition_id, at in session.execute(
            select(overdue.petition_id, overdue.detected_at)
            .where(overdue.petition_id.in_(ids))
            .order_by(overdue.detected_at)
        ):
            overdues[petition_id].append(at)
    return [
        Attributed(
            history=PetitionHistory(
                petition_id=f.petition_id,
                submitted_at=f.submitted_at,
                assigned_at=f.assigned_at,
                verify_deadline=f.verify_deadline,
                merged=f.merged,
                changes=tuple(changes[f.petition_id]),
                follow_ups=tuple(follow_ups[f.petition_id]),
                overdues=tuple(overdues[f.petition_id]),
            ),
            worker_id=f.worker_id,
            department_code=f.department_code,
            grids=(f.grid_l1, f.grid_l2, f.grid_l3),
        )
        for f in facts
    ]


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


@dataclass(frozen=True)
class AttributedSummons:
    summons: WhistleSummons
    department_code: str
    grids: tuple[str | None, str | None, str | None]


def whistle_summons(
    session: Session, window: Window, subject: Subject | None = None
) -> list[AttributedSummons]:
    condition: ColumnElement[bool] = true()
    if subject is not None and subject.kind is SubjectKind.DEPARTMENT:
        condition = WhistleSummonsRow.department_code == subject.subject_id
    elif subject is not None and subject.kind is SubjectKind.GRID:
        code = subject.subject_id
        condition = or_(
            WhistleSummonsRow.grid_l1 == code,
            WhistleSummonsRow.grid_l2 == code,
            WhistleSummonsRow.grid_l3 == code,
        )
    elif subject is not None and subject.kind is SubjectKind.WORKER:
        return []  # whistles summon departments, not workers
    rows = session.execute(
        select(WhistleSummonsRow)
        .where(
            condition,
            WhistleSummonsRow.blown_at >= window.start_at,
            WhistleSummonsRow.blown_at < window.end_at,
        )
        .order_by(WhistleSummonsRow.whistle_id, WhistleSummonsRow.department_code)
    ).scalars()
    return [
        AttributedSummons(
            WhistleSummons(r.blown_at, r.reported_on_time) if r.blown_at else _never(),
            r.department_code,
            (r.grid_l1, r.grid_l2, r.grid_l3),
        )
        for r in rows
    ]


def _never() -> WhistleSummons:  # pragma: no cover - the query excludes rows without blown_at
    raise AssertionError("summons without blown_at")


def subject_ids(session: Session, kind: SubjectKind, grid_level: int) -> list[str]:
    """Every subject of a kind that appears in the facts, sorted."""
    if kind is SubjectKind.WORKER:
        column: InstrumentedAttribute[str | None] = PetitionFact.worker_id
    elif kind is SubjectKind.DEPARTMENT:
        column = PetitionFact.department_code
    else:
        column = _grid_column(grid_level)
    found = {v for v in session.execute(select(column).distinct()).scalars() if v}
    if kind is SubjectKind.DEPARTMENT:
        found |= {
            v
            for v in session.execute(select(WhistleSummonsRow.department_code).distinct()).scalars()
            if v
        }
    if kind is SubjectKind.GRID:
        found |= {
            v
            for v in session.execute(
                select(GridPathRow.code).where(GridPathRow.level == grid_level)
            ).scalars()
        }
    return sorted(found)


def assessment_scores(
    session: Session, window: Window, subject: Subject | None = None
) -> list[tuple[str, tuple[str | None, str | None, str | None], float]]:
    """(worker_id, grid levels, score) of assessments recorded in the window."""
    condition: ColumnElement[bool] = and_(
        AssessmentRow.recorded_at >= window.start_at, AssessmentRow.recorded_at < window.end_at
    )
    if subject is not None and subject.kind is SubjectKind.WORKER:
        condition = and_(condition, AssessmentRow.worker_id == subject.subject_id)
    rows = session.execute(
        select(
            AssessmentRow.worker_id,
            AssessmentRow.grid_code,
            AssessmentRow.score,
            GridPathRow.grid_l1,
            GridPathRow.grid_l2,
            GridPathRow.grid_l3,
        )
        .outerjoin(GridPathRow, GridPathRow.code == AssessmentRow.grid_code)
        .where(condition)
        .order_by(AssessmentRow.recorded_at, AssessmentRow.id)
    ).all()
    return [
        (
            r.worker_id,
            (r.grid_l1, r.grid_l2, r.grid_l3) if r.grid_l1 else (None, None, r.grid_code),
            float(r.score),
        )
        for r in rows
    ]


def placed_in(session: Session, subject: Subject) -> set[str]:
    """Grid codes whose subtree holds the subject: a grid's path to the top, or every grid on
    the paths of the petitions a worker handles and of the households they visit."""
    if subject.kind is SubjectKind.GRID:
        row = session.execute(
            select(GridPathRow.grid_l1, GridPathRow.grid_l2, GridPathRow.grid_l3).where(
                GridPathRow.code == subject.subject_id
            )
        ).first()
        return {code for code in (row or ()) if code} | {subject.subject_id}
    if subject.kind is SubjectKind.WORKER:
        rows = session.execute(
            select(PetitionFact.grid_l1, PetitionFact.grid_l2, PetitionFact.grid_l3)
            .where(PetitionFact.worker_id == subject.subject_id)
            .distinct()
        ).all()
        # The grids of the worker's household visits too, with the grids above them.
        visited = session.execute(
            select(VisitRow.grid_code, GridPathRow.grid_l1, GridPathRow.grid_l2)
            .outerjoin(GridPathRow, GridPathRow.code == VisitRow.grid_code)
            .where(VisitRow.worker_id == subject.subject_id)
            .distinct()
        ).all()
        return {code for row in [*rows, *visited] for code in row if code}
    return set()
