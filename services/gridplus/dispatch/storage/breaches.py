"""What the deadline scanner reads and writes: newly overdue assignments (the scan index), their
breaches (recorded with PetitionOverdue, so a restart never repeats one) and the escalation
ladder's rungs (climbed once, whichever scanner gets there first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.storage.assignments import to_domain
from gridplus.dispatch.storage.models import OPEN, AssignmentRow, BreachRow


def newly_overdue(session: Session, *, now: datetime, limit: int) -> list[Assignment]:
    """Open, running assignments past their deadline and not yet reported (the scan index),
    locked FOR UPDATE SKIP LOCKED on PostgreSQL: two scanners take disjoint rows, and a row a
    VERIFIED holds is left for the next tick (a row changed and committed in between is read
    again and re-checked, so a new deadline is never marked breached). SQLite's one writer at a
    time does the same."""
    query = (
        select(AssignmentRow)
        .where(
            AssignmentRow.status == OPEN,
            AssignmentRow.breached.is_(False),
            AssignmentRow.deadline <= now,
            AssignmentRow.paused_at.is_(None),
        )
        .order_by(AssignmentRow.deadline)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [to_domain(row) for row in session.scalars(query)]


def record(session: Session, assignment: Assignment, *, detected_at: datetime) -> None:
    """The breach of the assignment's current deadline, with its state (`mark_overdue`). No flush
    per breach: the scanner records a batch and the commit writes them together."""
    session.add(
        BreachRow(
            petition_id=assignment.petition_id,
            step=assignment.step.value,
            deadline=assignment.deadline,
            detected_at=detected_at,
        )
    )
    row = session.get(AssignmentRow, assignment.petition_id)
    if row is not None:
        row.breached = assignment.breached
        row.next_escalation_at = assignment.next_escalation_at


def count(session: Session, *, petition_id: str) -> int:
    found = session.scalar(
        select(func.count()).select_from(BreachRow).where(BreachRow.petition_id == petition_id)
    )
    return int(found or 0)


def escalations_due(session: Session, *, now: datetime, limit: int) -> list[Assignment]:
    query = (
        select(AssignmentRow)
        .where(AssignmentRow.status == OPEN, AssignmentRow.next_escalation_at <= now)
        .order_by(AssignmentRow.next_escalation_at)
        .limit(limit)
    )
    return [to_domain(row) for row in session.scalars(query)]


def climb(
    session: Session,
    *,
    petition_id: str,
    rung: int,
    deadline: datetime,
    next_escalation_at: datetime | None,
) -> bool:
    """Mark rung `rung` of the breach of `deadline` climbed, unless another scanner got there
    first or the clock moved meanwhile (a new deadline starts the ladder over)."""
    result = session.execute(
        update(AssignmentRow)
        .where(
            AssignmentRow.petition_id == petition_id,
            AssignmentRow.status == OPEN,
            AssignmentRow.escalation_rung == rung - 1,
            AssignmentRow.deadline == deadline,
            AssignmentRow.breached.is_(True),
        )
        .values(escalation_rung=rung, next_escalation_at=next_escalation_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
