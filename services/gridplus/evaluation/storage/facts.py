"""Writes of the read models. Each write is order-independent: rows keyed by what the event is
about (duplicates ignored), "latest" values kept only when their timestamp is newer, "first"
values only when older. Events applied in any order, once or twice, leave the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridplus.evaluation.storage.models import (
    AssessmentRow,
    FollowUpRow,
    GridPathRow,
    OverdueRow,
    PetitionFact,
    StatusChangeRow,
    WhistleSummonsRow,
)


def utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def maybe_utc(at: datetime | None) -> datetime | None:
    return None if at is None else utc(at)


def dialect_insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_ignoring_duplicates(session: Session, model: type[Any], **values: Any) -> bool:
    """Insert a row unless its key exists; True when inserted."""
    statement = dialect_insert(session)(model).values(**values).on_conflict_do_nothing()
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _newer(candidate: datetime, current: datetime | None) -> bool:
    return current is None or utc(candidate) >= utc(current)


def petition(session: Session, petition_id: str, at: datetime) -> PetitionFact:
    """The petition's row, created if new and locked for this transaction (PostgreSQL: FOR
    UPDATE; SQLite writers are serialised already), with `at` folded into first/last."""
    at = utc(at)
    insert_ignoring_duplicates(
        session, PetitionFact, petition_id=petition_id, merged=False, first_at=at, last_at=at
    )
    fact = session.execute(
        select(PetitionFact).where(PetitionFact.petition_id == petition_id).with_for_update()
    ).scalar_one()
    if at < utc(fact.first_at):
        fact.first_at = at
    if at > utc(fact.last_at):
        fact.last_at = at
    return fact


def record_submitted(
    session: Session, *, petition_id: str, reporter_id: str, submitted_at: datetime
) -> None:
    fact = petition(session, petition_id, submitted_at)
    fact.submitted_at = utc(submitted_at)
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
    if fact.assigned_at is None or utc(assigned_at) < utc(fact.assigned_at):
        fact.assigned_at = utc(assigned_at)
        fact.verify_deadline = maybe_utc(verify_deadline)
    _set_worker(fact, worker_id, assigned_at)
    _set_department(fact, department_code, assigned_at)
    if grid_path and _newer(assigned_at, fact.grid_at):
        fact.grid_l1, fact.grid_l2, fact.grid_l3 = _levels(grid_path)
        fact.grid_at = utc(assigned_at)
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
        same_time = fact.worker_at is not None and utc(at) == utc(fact.worker_at)
        # Two handlers at the same instant: keep the larger id, whatever the arrival order.
        if not same_time or worker_id > (fact.worker_id or ""):
            fact.worker_id, fact.worker_at = worker_id, utc(at)


def _set_department(fact: PetitionFact, code: str, at: datetime) -> None:
    if code and _newer(at, fact.department_at):
        same_time = fact.department_at is not None and utc(at) == utc(fact.department_at)
        if not same_time or code > (fact.department_code or ""):
            fact.department_code, fact.department_at = code, utc(at)


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
        session.execute(dialect_insert(session)(GridPathRow).values(rows).on_conflict_do_nothing())


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
        changed_at=utc(changed_at),
    )
    if _newer(changed_at, fact.status_at):
        fact.status, fact.status_at = to_status, utc(changed_at)


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
        deadline=utc(deadline),
        detected_at=utc(detected_at),
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
        row.blown_at = utc(blown_at)
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
    if row.reported_at is None or utc(reported_at) < utc(row.reported_at):
        row.reported_at, row.reported_on_time = utc(reported_at), on_time


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
    session: Session,
    *,
    follow_up_id: str,
    petition_id: str,
    outcome: str,
    rating: int,
    via: str,
    actor_id: str,
    completed_at: datetime,
    comment: str = "",
) -> None:
    fact = petition(session, petition_id, completed_at)
    insert_ignoring_duplicates(
        session,
        FollowUpRow,
        id=follow_up_id,
        petition_id=petition_id,
        outcome=outcome,
        rating=rating,
        comment=comment,
        via=via,
        actor_id=actor_id,
        completed_at=utc(completed_at),
    )
    if _newer(completed_at, fact.last_follow_up_at):
        fact.last_follow_up_at = utc(completed_at)


def record_assessment(session: Session, row: AssessmentRow) -> None:
    values = {c.key: getattr(row, c.key) for c in AssessmentRow.__table__.columns}
    values["recorded_at"] = utc(row.recorded_at)
    insert_ignoring_duplicates(session, AssessmentRow, **values)
