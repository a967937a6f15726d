"""The assignment change log: every ORM insert or update of an assignment appends a row in the
same transaction, so a watcher never sees a change that was rolled back, nor misses one that was
committed (ids are read in order; a watcher resumes after the last id it saw)."""

from __future__ import annotations

from sqlalchemy import Connection, event, func, insert, select
from sqlalchemy.orm import Mapper, Session

from gridplus.dispatch.storage.models import AssignmentChangeRow, AssignmentRow


def _record(_mapper: Mapper[AssignmentRow], connection: Connection, row: AssignmentRow) -> None:
    connection.execute(
        insert(AssignmentChangeRow).values(
            petition_id=row.petition_id, department_code=row.department_code
        )
    )


event.listen(AssignmentRow, "after_insert", _record)
event.listen(AssignmentRow, "after_update", _record)


def latest(session: Session) -> int:
    return int(session.scalar(select(func.max(AssignmentChangeRow.id))) or 0)


def after(
    session: Session, *, change_id: int, department_code: str, limit: int = 100
) -> list[tuple[int, str]]:
    """(change id, petition id) after `change_id`, oldest first."""
    query = select(AssignmentChangeRow.id, AssignmentChangeRow.petition_id).where(
        AssignmentChangeRow.id > change_id
    )
    if department_code:
        query = query.where(AssignmentChangeRow.department_code == department_code)
    query = query.order_by(AssignmentChangeRow.id).limit(limit)
    return [(int(i), str(p)) for i, p in session.execute(query).all()]
