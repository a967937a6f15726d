"""The care access log: one row per staff read of a special-care record, written in the read's
own transaction, listed newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridplus.grid_registry.storage.models import CareAccessRow


@dataclass(frozen=True)
class CareAccess:
    id: int
    actor_id: str
    actor_role: str
    household_id: str
    grid_code: str
    reason: str
    read_at: datetime


def create(
    session: Session,
    *,
    actor_id: str,
    actor_role: str,
    household_id: str,
    grid_code: str,
    reason: str,
    at: datetime,
) -> None:
    session.execute(
        insert(CareAccessRow).values(
            actor_id=actor_id,
            actor_role=actor_role,
            household_id=household_id,
            grid_code=grid_code,
            reason=reason,
            read_at=at,
        )
    )


def get_page(
    session: Session,
    *,
    grid_codes: Sequence[str] | None,
    actor_id: str,
    since: datetime | None,
    before_id: int | None,
    size: int,
) -> list[CareAccess]:
    """Up to `size` entries, newest first (by id, which follows the order of writes)."""
    query = select(CareAccessRow)
    if grid_codes is not None:
        query = query.where(CareAccessRow.grid_code.in_(grid_codes))
    if actor_id:
        query = query.where(CareAccessRow.actor_id == actor_id)
    if since is not None:
        query = query.where(CareAccessRow.read_at >= since)
    if before_id is not None:
        query = query.where(CareAccessRow.id < before_id)
    rows = session.scalars(query.order_by(CareAccessRow.id.desc()).limit(size)).all()
    return [
        CareAccess(
            row.id,
            row.actor_id,
            row.actor_role,
            row.household_id,
            row.grid_code,
            row.reason,
            row.read_at,
        )
        for row in rows
    ]
