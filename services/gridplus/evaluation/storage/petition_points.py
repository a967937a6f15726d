"""Petition points: writes from events (order-independent, as storage/facts.py) and the reads
hot spots and repeat locations need, joined with petition_facts for grid, status and
department."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.hotspots import OPEN_STATUSES, PetitionPoint
from gridplus.evaluation.storage.models import PetitionFact, PetitionPointRow
from gridplus.evaluation.storage.upserts import Columns, latest_then_larger, upsert, when
from gridplus.kit.clock import as_utc

_POINTS: Table = PetitionPointRow.__table__  # type: ignore[assignment]


def _category(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    """The latest category by time; at the same instant the larger code, whatever the order."""
    latest = latest_then_larger(cur, new, "category", "category_at", dialect)
    return when(latest, cur, new, "category", "category_at")


def _submitted(cur: Columns, new: Columns, dialect: str) -> dict[str, Any]:
    """The point and time never change after submission (the event's values are kept)."""
    placed = {name: new[name] for name in ("latitude", "longitude", "submitted_at")}
    return {**placed, **_category(cur, new, dialect)}


def record_submitted(
    session: Session,
    *,
    petition_id: str,
    latitude: float | None,
    longitude: float | None,
    category: str,
    submitted_at: datetime,
) -> None:
    """The point and time never change after submission; a category given then is the first."""
    row = {
        "petition_id": petition_id,
        "latitude": latitude,
        "longitude": longitude,
        "submitted_at": submitted_at,
        "category": category or None,
        "category_at": submitted_at if category else None,
    }
    upsert(session, _POINTS, "submitted", _submitted, row)


def record_category(session: Session, *, petition_id: str, category: str, at: datetime) -> None:
    """The latest category by time; at the same instant the larger code, whatever the order."""
    if not category:
        return
    row = {"petition_id": petition_id, "category": category, "category_at": at}
    upsert(session, _POINTS, "category", _category, row)


def load(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    open_too: bool = False,
    grid_code: str = "",
) -> list[PetitionPoint]:
    """Located petitions submitted in [since, until), and with `open_too` every open one
    submitted before `until` as well; duplicates merged into another petition are left out
    (their survivor stands for them). `grid_code`: only those of that grid's subtree."""
    placed = PetitionPointRow.submitted_at.is_not(None) & PetitionPointRow.latitude.is_not(None)
    in_window = (PetitionPointRow.submitted_at >= as_utc(since)) & (
        PetitionPointRow.submitted_at < as_utc(until)
    )
    still_open = (PetitionPointRow.submitted_at < as_utc(until)) & or_(
        PetitionFact.status.is_(None), PetitionFact.status.in_(OPEN_STATUSES)
    )
    # Plain columns, not ORM entities: a query over a city's weeks reads tens of thousands.
    point, fact = PetitionPointRow, PetitionFact
    query = (
        select(
            point.petition_id,
            point.latitude,
            point.longitude,
            point.category,
            point.submitted_at,
            fact.grid_l1,
            fact.grid_l2,
            fact.grid_l3,
            fact.status,
            fact.department_code,
        )
        .join(fact, fact.petition_id == point.petition_id)
        .where(placed, fact.merged.is_(False))
        .where(or_(in_window, still_open) if open_too else in_window)
        .order_by(point.petition_id)
    )
    if grid_code:
        query = query.where(
            or_(fact.grid_l1 == grid_code, fact.grid_l2 == grid_code, fact.grid_l3 == grid_code)
        )
    return [_point(*row) for row in session.execute(query)]


def _point(
    petition_id: str,
    latitude: float | None,
    longitude: float | None,
    category: str | None,
    submitted_at: datetime | None,
    *rest: str | None,
) -> PetitionPoint:
    # The query keeps located, dated rows only.
    assert latitude is not None and longitude is not None and submitted_at is not None
    *levels, status, department = rest
    return PetitionPoint(
        petition_id=petition_id,
        latitude=latitude,
        longitude=longitude,
        category=category or "",
        grid_path=tuple(code for code in levels if code),
        submitted_at=as_utc(submitted_at),
        status=status or "",
        department_code=department or "",
    )
