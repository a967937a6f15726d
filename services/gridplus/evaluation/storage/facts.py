"""Writes of the read models. Each write is order-independent: rows keyed by what the event is
about (duplicates ignored), "latest" values kept only when their timestamp is newer, "first"
values only when older. Events applied in any order, once or twice, leave the same rows.

Each event's row is one INSERT … ON CONFLICT DO UPDATE (storage/upserts.py): the values a new
row gets, and for an existing row the same rules in SQL. On PostgreSQL the statement locks the
row it updates, as SELECT … FOR UPDATE did, so two consumers' writes of one petition queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, true
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
from gridplus.evaluation.storage.upserts import (
    Columns,
    earlier,
    greatest,
    insert_ignoring,
    insert_ignoring_duplicates,
    latest_then_larger,
    least,
    newer,
    upsert,
    when,
)
from gridplus.kit.clock import as_utc

__all__ = ["insert_ignoring_duplicates"]  # re-exported: replay and other stores import it here

_FACTS: Table = PetitionFact.__table__  # type: ignore[assignment]
_SUMMONS: Table = WhistleSummonsRow.__table__  # type: ignore[assignment]
_GRID_PATHS: Table = GridPathRow.__table__  # type: ignore[assignment]


# -- petition_facts: one rule per kind of event, each with the first/last fold ----------------


def _fold(cur: Columns, new: Columns) -> dict[str, Any]:
    return {
        "first_at": least(cur.first_at, new.first_at),
        "last_at": greatest(cur.last_at, new.last_at),
    }


def _worker(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    """Latest handler; two at the same instant: the larger id, whatever the arrival order."""
    worker = latest_then_larger(cur, new, "worker_id", "worker_at", dialect)
    department = latest_then_larger(cur, new, "department_code", "department_at", dialect)
    return {
        **when(worker, cur, new, "worker_id", "worker_at"),
        **when(department, cur, new, "department_code", "department_at"),
    }


def _grid(cur: Columns, new: Columns) -> dict[str, Any]:
    return when(
        newer(cur.grid_at, new.grid_at), cur, new, "grid_l1", "grid_l2", "grid_l3", "grid_at"
    )


def _submitted(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    return {**_fold(cur, new), "submitted_at": new.submitted_at, "reporter_id": new.reporter_id}


def _assigned(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    first = earlier(cur.assigned_at, new.assigned_at)
    return {
        **_fold(cur, new),
        **when(first, cur, new, "assigned_at", "verify_deadline"),
        **_worker(cur, new, dialect),
        **_grid(cur, new),
    }


def _located(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    return {**_fold(cur, new), **_grid(cur, new)}


def _transferred(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    return {**_fold(cur, new), **_worker(cur, new, dialect)}


def _status(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    return {
        **_fold(cur, new),
        **when(newer(cur.status_at, new.status_at), cur, new, "status", "status_at"),
    }


def _merged(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    return {**_fold(cur, new), "merged": true(), "merged_into": new.merged_into}


def _seen(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    return _fold(cur, new)


def _followed_up(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    latest = newer(cur.last_follow_up_at, new.last_follow_up_at)
    return {**_fold(cur, new), **when(latest, cur, new, "last_follow_up_at")}


def _fact(session: Session, rule: Any, petition_id: str, at: datetime, **values: Any) -> None:
    """The petition's row with `at` folded into first/last and `values` kept by `rule`; a new
    row takes `values` as they are (what the rule would keep against an empty row)."""
    row = {"petition_id": petition_id, "merged": False, "first_at": at, "last_at": at, **values}
    upsert(session, _FACTS, rule.__name__, rule, row)


def _levels(path: Sequence[str]) -> tuple[str | None, str | None, str | None]:
    padded = [*path[:3], None, None, None]
    return padded[0], padded[1], padded[2]


def _grid_values(grid_path: Sequence[str], at: datetime) -> dict[str, Any]:
    """A placement's columns; none (grid_at NULL: the rule keeps the row's) without a path."""
    l1, l2, l3 = _levels(grid_path)
    return {"grid_l1": l1, "grid_l2": l2, "grid_l3": l3, "grid_at": at if grid_path else None}


def record_submitted(
    session: Session, *, petition_id: str, reporter_id: str, submitted_at: datetime
) -> None:
    _fact(
        session,
        _submitted,
        petition_id,
        submitted_at,
        submitted_at=submitted_at,
        reporter_id=reporter_id or None,
    )


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
    _fact(
        session,
        _assigned,
        petition_id,
        assigned_at,
        assigned_at=assigned_at,
        verify_deadline=verify_deadline,
        **_handler_values(worker_id, department_code, assigned_at),
        **_grid_values(grid_path, assigned_at),
    )
    record_grid_path(session, grid_path)


def _handler_values(worker_id: str, department_code: str, at: datetime) -> dict[str, Any]:
    """An empty id changes nothing: NULL value and time, which the rule skips."""
    return {
        "worker_id": worker_id or None,
        "worker_at": at if worker_id else None,
        "department_code": department_code or None,
        "department_at": at if department_code else None,
    }


def record_located(
    session: Session, *, petition_id: str, grid_path: Sequence[str], at: datetime
) -> None:
    """The grid of a petition no dispatch event places (history imported from a 311 export):
    it counts for that grid, with no assignment, worker or deadline (none was recorded)."""
    _fact(session, _located, petition_id, at, **_grid_values(grid_path, at))
    record_grid_path(session, grid_path)


def record_transferred(
    session: Session,
    *,
    petition_id: str,
    transferred_at: datetime,
    to_worker_id: str,
    to_department_code: str,
) -> None:
    values = _handler_values(to_worker_id, to_department_code, transferred_at)
    _fact(session, _transferred, petition_id, transferred_at, **values)


def record_grid_path(session: Session, path: Sequence[str]) -> None:
    """Each grid on the path with its ancestors, in one statement (known ones are skipped)."""
    rows = []
    for depth in range(len(path[:3])):
        l1, l2, l3 = _levels(path[: depth + 1])
        rows.append(
            {"code": path[depth], "level": depth + 1, "grid_l1": l1, "grid_l2": l2, "grid_l3": l3}
        )
    insert_ignoring(session, _GRID_PATHS, rows)


def record_status(
    session: Session,
    *,
    petition_id: str,
    from_status: str,
    to_status: str,
    actor_id: str,
    changed_at: datetime,
) -> None:
    _fact(session, _status, petition_id, changed_at, status=to_status, status_at=changed_at)
    insert_ignoring(
        session,
        StatusChangeRow.__table__,  # type: ignore[arg-type]
        [
            {
                "petition_id": petition_id,
                "from_status": from_status,
                "to_status": to_status,
                "actor_id": actor_id,
                "changed_at": changed_at,
            }
        ],
    )


def record_merged(
    session: Session, *, petition_id: str, survivor_id: str, merged_at: datetime
) -> None:
    _fact(session, _merged, petition_id, merged_at, merged=True, merged_into=survivor_id or None)


def record_overdue(
    session: Session, *, petition_id: str, step: str, deadline: datetime, detected_at: datetime
) -> None:
    _fact(session, _seen, petition_id, detected_at)
    insert_ignoring(
        session,
        OverdueRow.__table__,  # type: ignore[arg-type]
        [
            {
                "petition_id": petition_id,
                "step": step,
                "deadline": deadline,
                "detected_at": detected_at,
            }
        ],
    )


# -- whistle summons: one row per department summoned -----------------------------------------


def _blown(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    return {name: new[name] for name in ("blown_at", "grid_l1", "grid_l2", "grid_l3")}


def _reported(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    """The first report counts."""
    first = earlier(cur.reported_at, new.reported_at)
    return when(first, cur, new, "reported_at", "reported_on_time")


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
        row = {
            "whistle_id": whistle_id,
            "department_code": code,
            "petition_id": petition_id,
            "reported_on_time": False,
            "blown_at": blown_at,
            "grid_l1": l1,
            "grid_l2": l2,
            "grid_l3": l3,
        }
        upsert(session, _SUMMONS, "blown", _blown, row)


def record_whistle_reported(
    session: Session,
    *,
    whistle_id: str,
    petition_id: str,
    department_code: str,
    reported_at: datetime,
    on_time: bool,
) -> None:
    row = {
        "whistle_id": whistle_id,
        "department_code": department_code,
        "petition_id": petition_id,
        "reported_at": reported_at,
        "reported_on_time": on_time,
    }
    upsert(session, _SUMMONS, "reported", _reported, row)


def record_follow_up(
    session: Session, event: FollowUpCompleted, *, follow_up_id: str, comment: str = ""
) -> None:
    """A completed follow-up, keyed by its event's id (the use case that publishes it and a
    rebuild replaying it write the same row)."""
    at = event.at
    _fact(session, _followed_up, event.petition_id, at, last_follow_up_at=at)
    row = {
        "id": follow_up_id,
        "petition_id": event.petition_id,
        "outcome": event.outcome.value,
        "rating": event.rating,
        "comment": comment,
        "via": event.via.value,
        "actor_id": event.actor_id,
        "completed_at": as_utc(at),
    }
    insert_ignoring(session, FollowUpRow.__table__, [row])  # type: ignore[arg-type]
    # The use case may hold the petition's row as an object: it reads the new value next time.
    loaded = session.identity_map.get(session.identity_key(PetitionFact, event.petition_id))
    if loaded is not None:
        session.expire(loaded)


def record_assessment(
    session: Session,
    event: AssessmentRecorded,
    *,
    scores: AssessmentScores | None = None,
    note: str = "",
) -> None:
    """An assessment, keyed by its id; aspect scores and note are owned data (a rebuild from
    AssessmentRecorded has neither)."""
    row = {
        "id": event.assessment_id,
        "worker_id": event.worker_id,
        "grid_code": event.grid_code,
        "inspector_id": event.inspector_id,
        "listen_score": scores.listen if scores else None,
        "evaluate_score": scores.evaluate if scores else None,
        "look_score": scores.look if scores else None,
        "discuss_score": scores.discuss if scores else None,
        "score": event.score,
        "secret": event.secret,
        "note": note,
        "recorded_at": as_utc(event.at),
    }
    insert_ignoring(session, AssessmentRow.__table__, [row])  # type: ignore[arg-type]
