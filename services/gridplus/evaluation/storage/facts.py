"""Writes of the read models. Each write is order-independent: rows keyed by what the event is
about (duplicates ignored), "latest" values kept only when their timestamp is newer, "first"
values only when older. Events applied in any order, once or twice, leave the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.assessment import AssessmentScores
from gridplus.evaluation.domain.events import AssessmentRecorded, FollowUpCompleted
from gridplus.evaluation.storage.models import (
    AssessmentRow,
    FollowUpRow,
    GridPathRow,
    OverdueRow,
    PetitionFact,
    StatusChangeRow,
    WhistleSummonsRow,
)
from gridplus.kit.clock import as_utc
from gridplus.kit.db import insert_for


def insert_ignoring_duplicates(session: Session, model: type[Any], **values: Any) -> bool:
    """Insert a row unless its key exists; True when inserted. Asks for the inserted key back
    rather than a row count: on PostgreSQL (psycopg) this INSERT reports -1 rows, which would
    read as inserted whether or not it was."""
    table = getattr(model, "__table__", model)
    key = next(iter(table.primary_key.columns))
    statement = insert_for(session, table).values(**values).on_conflict_do_nothing()
    return session.execute(statement.returning(key)).first() is not None


def _newer(candidate: datetime, current: datetime | None) -> bool:
    return current is None or as_utc(candidate) >= as_utc(current)


def petition(session: Session, petition_id: str, at: datetime) -> PetitionFact:
    """The petition's row, created if new and locked for this transaction (PostgreSQL: FOR
    UPDATE; SQLite writers are serialised already), with `at` folded into first/last."""
    at = as_utc(at)
    insert_ignoring_duplicates(
        session, PetitionFact, petition_id=petition_id, merged=False, first_at=at, last_at=at
    )
    fact = session.execute(
        select(PetitionFact).where(PetitionFact.petition_id == petition_id).with_for_update()
    ).scalar_one()
    if at < as_utc(fact.first_at):
        fact.first_at = at
    if at > as_utc(fact.last_at):
        fact.last_at = at
    return fact


def record_submitted(
    session: Session, *, petition_id: str, reporter_id: str, submitted_at: datetime
) -> None:
    fact = petition(session, petition_id, submitted_at)
    fact.submitted_at = as_utc(submitted_at)
    fact.reporter_id = reporter_id or None


def record_assigned(
    session: Session,
    *,
    petition_id: str,
    assigned_at: datetime,
    worker_id: str,
    department_code: str,
    grid_path: Sequence[str],
    verify_deadline: datetime | None,
) -> None:
    fact = petition(session, petition_id, assigned_at)
    if fact.assigned_at is None or as_utc(assigned_at) < as_utc(fact.assigned_at):
        fact.assigned_at = as_utc(assigned_at)
        fact.verify_deadline = None if verify_deadline is None else as_utc(verify_deadline)
    _set_worker(fact, worker_id, assigned_at)
    _set_department(fact, department_code, assigned_at)
    if grid_path and _newer(assigned_at, fact.grid_at):
        fact.grid_l1, fact.grid_l2, fact.grid_l3 = _levels(grid_path)
        fact.grid_at = as_utc(assigned_at)
    record_grid_path(session, grid_path)


def record_located(
    session: Session, *, petition_id: str, grid_path: Sequence[str], at: datetime
) -> None:
    """The grid of a petition no dispatch event places (history imported from a 311 export):
    it counts for that grid, with no assignment, worker or deadline (none was recorded)."""
    fact = petition(session, petition_id, at)
    if grid_path and _newer(at, fact.grid_at):
        fact.grid_l1, fact.grid_l2, fact.grid_l3 = _levels(grid_path)
        fact.grid_at = as_utc(at)
    record_grid_path(session, grid_path)


def record_transferred(
    session: Session,
    *,
    petition_id: str,
    transferred_at: datetime,
    to_worker_id: str,
    to_department_code: str,
) -> None:
    fact = petition(session, petition_id, transferred_at)
    _set_worker(fact, to_worker_id, transferred_at)
    _set_department(fact, to_department_code, transferred_at)


def _set_worker(fact: PetitionFact, worker_id: str, at: datetime) -> None:
    if worker_id and _newer(at, fact.worker_at):
        same_time = fact.worker_at is not None and as_utc(at) == as_utc(fact.worker_at)
        # Two handlers at the same instant: keep the larger id, whatever the arrival order.
        if not same_time or worker_id > (fact.worker_id or ""):
            fact.worker_id, fact.worker_at = worker_id, as_utc(at)


def _set_department(fact: PetitionFact, code: str, at: datetime) -> None:
    if code and _newer(at, fact.department_at):
        same_time = fact.department_at is not None and as_utc(at) == as_utc(fact.department_at)
        if not same_time or code > (fact.department_code or ""):
            fact.department_code, fact.department_at = code, as_utc(at)


def _levels(path: Sequence[str]) -> tuple[str | None, str | None, str | None]:
    padded = [*path[:3], None, None, None]
    return padded[0], padded[1], padded[2]


def record_grid_path(session: Session, path: Sequence[str]) -> None:
    """Each grid on the path with its ancestors, in one statement (known ones are skipped)."""
    rows = []
    for depth in range(len(path[:3])):
        l1, l2, l3 = _levels(path[: depth + 1])
        rows.append(
            {"code": path[depth], "level": depth + 1, "grid_l1": l1, "grid_l2": l2, "grid_l3": l3}
        )
    if rows:
        session.execute(insert_for(session, GridPathRow).values(rows).on_conflict_do_nothing())


def record_status(
    session: Session,
    *,
    petition_id: str,
    from_status: str,
    to_status: str,
    actor_id: str,
    changed_at: datetime,
) -> None:
    fact = petition(session, petition_id, changed_at)
    insert_ignoring_duplicates(
        session,
        StatusChangeRow,
        petition_id=petition_id,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor_id,
        changed_at=as_utc(changed_at),
    )
    if _newer(changed_at, fact.status_at):
        fact.status, fact.status_at = to_status, as_utc(changed_at)


def record_merged(
    session: Session, *, petition_id: str, survivor_id: str, merged_at: datetime
) -> None:
    fact = petition(session, petition_id, merged_at)
    fact.merged = True
    fact.merged_into = survivor_id or None


def record_overdue(
    session: Session, *, petition_id: str, step: str, deadline: datetime, detected_at: datetime
) -> None:
    petition(session, petition_id, detected_at)
    insert_ignoring_duplicates(
        session,
        OverdueRow,
        petition_id=petition_id,
        step=step,
        deadline=as_utc(deadline),
        detected_at=as_utc(detected_at),
    )


def record_whistle_blown(
    session: Session,
    *,
    whistle_id: str,
    petition_id: str,
    grid_path: Sequence[str],
    department_codes: Sequence[str],
    blown_at: datetime,
) -> None:
    record_grid_path(session, grid_path)
    l1, l2, l3 = _levels(grid_path)
    for code in department_codes:
        row = _summons(session, whistle_id, code, petition_id)
        row.blown_at = as_utc(blown_at)
        row.grid_l1, row.grid_l2, row.grid_l3 = l1, l2, l3


def record_whistle_reported(
    session: Session,
    *,
    whistle_id: str,
    petition_id: str,
    department_code: str,
    reported_at: datetime,
    on_time: bool,
) -> None:
    row = _summons(session, whistle_id, department_code, petition_id)
    if row.reported_at is None or as_utc(reported_at) < as_utc(row.reported_at):
        row.reported_at, row.reported_on_time = as_utc(reported_at), on_time


def _summons(
    session: Session, whistle_id: str, department_code: str, petition_id: str
) -> WhistleSummonsRow:
    insert_ignoring_duplicates(
        session,
        WhistleSummonsRow,
        whistle_id=whistle_id,
        department_code=department_code,
        petition_id=petition_id,
        reported_on_time=False,
    )
    return session.execute(
        select(WhistleSummonsRow)
        .where(
            WhistleSummonsRow.whistle_id == whistle_id,
            WhistleSummonsRow.department_code == department_code,
        )
        .with_for_update()
    ).scalar_one()


def record_follow_up(
    session: Session, event: FollowUpCompleted, *, follow_up_id: str, comment: str = ""
) -> None:
    """A completed follow-up, keyed by its event's id (the use case that publishes it and a
    rebuild replaying it write the same row)."""
    fact = petition(session, event.petition_id, event.at)
    insert_ignoring_duplicates(
        session,
        FollowUpRow,
        id=follow_up_id,
        petition_id=event.petition_id,
        outcome=event.outcome.value,
        rating=event.rating,
        comment=comment,
        via=event.via.value,
        actor_id=event.actor_id,
        completed_at=as_utc(event.at),
    )
    if _newer(event.at, fact.last_follow_up_at):
        fact.last_follow_up_at = as_utc(event.at)


def record_assessment(
    session: Session,
    event: AssessmentRecorded,
    *,
    scores: AssessmentScores | None = None,
    note: str = "",
) -> None:
    """An assessment, keyed by its id; aspect scores and note are owned data (a rebuild from
    AssessmentRecorded has neither)."""
    insert_ignoring_duplicates(
        session,
        AssessmentRow,
        id=event.assessment_id,
        worker_id=event.worker_id,
        grid_code=event.grid_code,
        inspector_id=event.inspector_id,
        listen_score=scores.listen if scores else None,
        evaluate_score=scores.evaluate if scores else None,
        look_score=scores.look if scores else None,
        discuss_score=scores.discuss if scores else None,
        score=event.score,
        secret=event.secret,
        note=note,
        recorded_at=as_utc(event.at),
    )
