"""Published weekly digests: one row per grid and week. The row's primary key is what makes
the digest job publish once, however many rounds or replicas try (a second insert of the same
key does nothing, on PostgreSQL after waiting for the first transaction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridplus.evaluation.storage.facts import insert_ignoring_duplicates
from gridplus.evaluation.storage.models import GridDigestRow
from gridplus.kit.clock import as_utc


def claim(session: Session, *, grid_code: str, period_start: datetime, at: datetime) -> bool:
    """Take the (grid, week) for this transaction; False when already published."""
    return insert_ignoring_duplicates(
        session,
        GridDigestRow,
        grid_code=grid_code,
        period_start=as_utc(period_start),
        event_id="",
        published_at=as_utc(at),
    )


def set_event_id(
    session: Session, *, grid_code: str, period_start: datetime, event_id: str
) -> None:
    session.execute(
        update(GridDigestRow)
        .where(
            GridDigestRow.grid_code == grid_code,
            GridDigestRow.period_start == as_utc(period_start),
        )
        .values(event_id=event_id)
    )


def record_published(
    session: Session,
    *,
    grid_code: str,
    period_start: datetime,
    event_id: str,
    published_at: datetime,
) -> None:
    """A digest replayed from evaluation's topic (rebuild): the job will not send it again."""
    insert_ignoring_duplicates(
        session,
        GridDigestRow,
        grid_code=grid_code,
        period_start=as_utc(period_start),
        event_id=event_id,
        published_at=as_utc(published_at),
    )


def published(session: Session, period_start: datetime) -> set[str]:
    """Grids whose digest of the week starting at `period_start` was published."""
    rows = session.execute(
        select(GridDigestRow.grid_code).where(GridDigestRow.period_start == as_utc(period_start))
    ).scalars()
    return set(rows)
