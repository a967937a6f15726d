"""The assignment change log: every ORM insert or update of an assignment (and the Core insert of
a new one, through `record`) appends a row in the same transaction, so a watcher never sees a
change that was rolled back. Ids are given at insert, not at commit: on PostgreSQL a lower id
may commit after a higher one, so a watcher reads every id in order and holds back at a missing
one (api/watch.py), instead of trusting "after the last id"."""

from __future__ import annotations

from sqlalchemy import Connection, event, func, insert, select
from sqlalchemy.orm import Mapper, Session

from gridplus.dispatch.storage.models import AssignmentChangeRow, AssignmentRow
from gridplus.kit.write_behind import defer_insert

_INSERT = insert(AssignmentChangeRow.__table__)  # type: ignore[arg-type]


def _record(_mapper: Mapper[AssignmentRow], connection: Connection, row: AssignmentRow) -> None:
    connection.execute(
        _INSERT, {"petition_id": row.petition_id, "department_code": row.department_code}
    )


def record(session: Session, petition_id: str, department_code: str) -> None:
    """The change-log entry of an assignment written by a Core statement (no ORM event)."""
    row = {"petition_id": petition_id, "department_code": department_code}
    defer_insert(session, _INSERT, [row], read_back=True)  # with the assignment's own row


event.listen(AssignmentRow, "after_insert", _record)
event.listen(AssignmentRow, "after_update", _record)


def latest(session: Session) -> int:
    return int(session.scalar(select(func.max(AssignmentChangeRow.id))) or 0)


def after(session: Session, *, change_id: int, limit: int = 200) -> list[tuple[int, str, str]]:
    """(change id, petition id, department code) after `change_id`, oldest first, of every
    department: the watcher needs every id to see a gap, and filters by department itself."""
    query = (
        select(
            AssignmentChangeRow.id,
            AssignmentChangeRow.petition_id,
            AssignmentChangeRow.department_code,
        )
        .where(AssignmentChangeRow.id > change_id)
        .order_by(AssignmentChangeRow.id)
        .limit(limit)
    )
    return [(int(i), str(p), str(d)) for i, p, d in session.execute(query).all()]
