"""Petition points: writes from events (order-independent, as storage/facts.py) and the reads
hot spots and repeat locations need, joined with petition_facts for grid, status and
department."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.hotspots import OPEN_STATUSES, PetitionPoint
from gridplus.evaluation.storage.facts import insert_ignoring_duplicates
from gridplus.evaluation.storage.models import PetitionFact, PetitionPointRow
from gridplus.kit.clock import as_utc


def _row(session: Session, petition_id: str) -> PetitionPointRow:
    insert_ignoring_duplicates(session, PetitionPointRow, petition_id=petition_id)
    return session.execute(
        select(PetitionPointRow)
        .where(PetitionPointRow.petition_id == petition_id)
        .with_for_update()
    ).scalar_one()


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
    row = _row(session, petition_id)
    row.latitude, row.longitude = latitude, longitude
    row.submitted_at = as_utc(submitted_at)
    record_category(session, petition_id=petition_id, category=category, at=submitted_at, row=row)


def record_category(
    session: Session,
    *,
    petition_id: str,
    category: str,
    at: datetime,
    row: PetitionPointRow | None = None,
) -> None:
    """The latest category by time; at the same instant the larger code, whatever the order."""
    if not category:
        return
    row = row or _row(session, petition_id)
    at = as_utc(at)
    current = None if row.category_at is None else as_utc(row.category_at)
    if current is None or at > current or (at == current and category > (row.category or "")):
        row.category, row.category_at = category, at


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
