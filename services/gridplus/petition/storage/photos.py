"""Photo rows: which stored blob belongs to which petition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridplus.petition.domain.photos import CleanPhoto, PhotoRef
from gridplus.petition.storage.models import PhotoRow


def add(
    session: Session,
    *,
    petition_id: str,
    photos: list[CleanPhoto],
    stage: str,
    uploaded_by: str,
    at: datetime,
) -> list[PhotoRef]:
    last = session.execute(
        select(func.coalesce(func.max(PhotoRow.seq), 0)).where(PhotoRow.petition_id == petition_id)
    ).scalar_one()
    refs = []
    for offset, photo in enumerate(photos, start=1):
        row = PhotoRow(
            petition_id=petition_id,
            seq=int(last) + offset,
            digest=photo.digest,
            media_type=photo.media_type,
            size=len(photo.data),
            stage=stage,
            uploaded_by=uploaded_by,
            uploaded_at=at,
        )
        session.add(row)
        refs.append(_ref(row))
    session.flush()
    return refs


def count(session: Session, *, petition_id: str, stage: str) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(PhotoRow)
            .where(PhotoRow.petition_id == petition_id, PhotoRow.stage == stage)
        ).scalar_one()
    )


def get_all(session: Session, *, petition_id: str) -> list[PhotoRef]:
    rows = session.scalars(
        select(PhotoRow).where(PhotoRow.petition_id == petition_id).order_by(PhotoRow.seq)
    )
    return [_ref(row) for row in rows]


def _ref(row: PhotoRow) -> PhotoRef:
    return PhotoRef(row.petition_id, row.seq, row.digest, row.media_type, row.size, row.stage)
