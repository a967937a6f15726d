"""Reads and writes of bulletins and their progress."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridplus.notification.domain.bulletins import Bulletin as BulletinValue
from gridplus.notification.domain.bulletins import bulletin_source
from gridplus.notification.storage.models import Bulletin, Delivery, InboxItem


def create(
    session: Session,
    *,
    request_key: str,
    grid_code: str,
    sent_by: str,
    recipients: int,
    now: datetime,
) -> BulletinValue:
    """Store a bulletin; `request_key` (unique) names the request that sent it."""
    row = Bulletin(
        id=uuid.uuid4(),
        request_id=request_key,
        grid_code=grid_code,
        sent_by=sent_by,
        recipient_count=recipients,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _bulletin(row)


def get(session: Session, bulletin_id: uuid.UUID) -> BulletinValue | None:
    row = session.get(Bulletin, bulletin_id)
    return None if row is None else _bulletin(row)


def newest(
    session: Session, *, sent_by: str | None, limit: int
) -> list[tuple[BulletinValue, datetime]]:
    """The newest bulletins (of one sender, or everyone's with None) and when each was sent."""
    query = select(Bulletin).order_by(Bulletin.created_at.desc(), Bulletin.id).limit(limit)
    if sent_by is not None:
        query = query.where(Bulletin.sent_by == sent_by)
    return [(_bulletin(row), row.created_at) for row in session.scalars(query)]


def counts(session: Session, bulletin_id: uuid.UUID) -> dict[str, int]:
    """A bulletin's deliveries by status, its inbox items counted as sent."""
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.bulletin_id == bulletin_id)
        .group_by(Delivery.status)
    )
    found = {status: int(count) for status, count in rows}
    inbox = session.execute(
        select(func.count()).where(InboxItem.source_event_id == bulletin_source(bulletin_id))
    ).scalar_one()
    found["sent"] = found.get("sent", 0) + int(inbox)
    return found


def _bulletin(row: Bulletin) -> BulletinValue:
    return BulletinValue(row.id, row.grid_code, row.sent_by, row.recipient_count)
