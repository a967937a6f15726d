"""Visits and their photos: stored in the transaction that records VisitRecorded, read back for
GetVisit, GetVisitPhoto and the diary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.care import CareCheck
from gridplus.dispatch.domain.visits import Finding, Visit
from gridplus.dispatch.storage.models import VisitPhotoRow, VisitRow
from gridplus.kit.images import CleanPhoto


def add(session: Session, visit: Visit, photos: Sequence[CleanPhoto]) -> None:
    session.add(
        VisitRow(
            visit_id=visit.visit_id,
            household_id=visit.household_id,
            grid_code=visit.grid_code,
            grid_path=list(visit.grid_path),
            worker_id=visit.worker_id,
            visited_at=visit.visited_at,
            local_day=visit.local_day,
            lat=visit.location[0],
            lon=visit.location[1],
            distance_meters=visit.distance_meters,
            notes=visit.notes,
            findings=[_finding_json(f) for f in visit.findings],
            care_checks=[
                {"member_id": c.member_id, "due_at": c.due_at.isoformat(), "on_time": c.on_time}
                for c in visit.care_checks
            ],
            photo_count=len(photos),
            recorded_at=visit.recorded_at,
        )
    )
    session.flush()  # the photos' foreign key needs the visit first
    for seq, photo in enumerate(photos, start=1):
        session.add(
            VisitPhotoRow(
                visit_id=visit.visit_id,
                seq=seq,
                media_type=photo.media_type,
                digest=photo.digest,
                content=photo.data,
            )
        )


def get(session: Session, *, visit_id: str, visibility: Visibility) -> Visit | None:
    row = session.get(VisitRow, visit_id)
    if row is None or not allows(visibility, row.worker_id, row.grid_path):
        return None
    return to_visit(row)


def photo(session: Session, *, visit_id: str, seq: int) -> VisitPhotoRow | None:
    return session.get(VisitPhotoRow, (visit_id, seq))


def diary(
    session: Session, *, worker_id: str, first_day: str, last_day: str, visibility: Visibility
) -> list[Visit]:
    """The worker's visits between two local days (inclusive) that the caller may see, newest
    day first and in time order within a day."""
    query = (
        select(VisitRow)
        .where(
            VisitRow.worker_id == worker_id,
            VisitRow.local_day >= first_day,
            VisitRow.local_day <= last_day,
        )
        .order_by(VisitRow.local_day.desc(), VisitRow.visited_at, VisitRow.visit_id)
    )
    rows = session.scalars(query)
    return [to_visit(row) for row in rows if allows(visibility, row.worker_id, row.grid_path)]


def worker_grid_paths(session: Session, *, worker_id: str) -> list[tuple[str, ...]]:
    """The grid paths of every grid the worker recorded a visit in (a worker records visits in
    their own grids only, so these are where they work)."""
    mine = VisitRow.worker_id == worker_id
    codes = session.scalars(select(VisitRow.grid_code).where(mine).distinct()).all()
    # JSON has no equality on PostgreSQL: one row's path per grid code.
    return [
        tuple(
            session.scalars(
                select(VisitRow.grid_path).where(mine, VisitRow.grid_code == code).limit(1)
            ).one()
        )
        for code in codes
    ]


def allows(visibility: Visibility, worker_id: str, grid_path: Sequence[str]) -> bool:
    """The worker who made the visit, the staff of its grid subtree, and who sees everything."""
    return bool(
        (visibility.person_id and visibility.person_id == worker_id)
        or visibility.covers(tuple(grid_path))
    )


def to_visit(row: VisitRow) -> Visit:
    return Visit(
        visit_id=row.visit_id,
        household_id=row.household_id,
        grid_code=row.grid_code,
        grid_path=tuple(row.grid_path),
        worker_id=row.worker_id,
        visited_at=row.visited_at,
        location=(row.lat, row.lon),
        distance_meters=row.distance_meters,
        notes=row.notes,
        findings=tuple(_finding(f) for f in row.findings),
        photo_count=row.photo_count,
        recorded_at=row.recorded_at,
        local_day=row.local_day,
        care_checks=tuple(
            CareCheck(
                str(c["member_id"]), datetime.fromisoformat(str(c["due_at"])), bool(c["on_time"])
            )
            for c in row.care_checks
        ),
    )


def _finding_json(finding: Finding) -> dict[str, object]:
    return {
        "index": finding.index,
        "category": finding.category,
        "title": finding.title,
        "description": finding.description,
        "raise_petition": finding.raise_petition,
        "petition_id": finding.petition_id,
    }


def _finding(data: dict[str, object]) -> Finding:
    return Finding(
        index=int(str(data["index"])),
        category=str(data["category"]),
        title=str(data["title"]),
        description=str(data["description"]),
        raise_petition=bool(data["raise_petition"]),
        petition_id=str(data["petition_id"]),
    )
