"""The whistles repository: Whistle aggregates with their reports in and out of their rows, and
the reports that fell due unmade."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false, or_, select, update
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.whistles import Whistle, WhistleReport
from gridplus.dispatch.storage.assignments import in_grids
from gridplus.dispatch.storage.models import WhistleReportRow, WhistleRow


def _report(row: WhistleReportRow) -> WhistleReport:
    return WhistleReport(
        department_code=row.department_code,
        deadline=row.deadline,
        yellow_at=row.yellow_at,
        reported_at=row.reported_at,
        reporter_id=row.reporter_id,
        note=row.note,
        breached=row.breached,
    )


def add(session: Session, whistle: Whistle) -> None:
    session.add(
        WhistleRow(
            whistle_id=whistle.whistle_id,
            petition_id=whistle.petition_id,
            blown_by=whistle.blown_by,
            reason=whistle.reason,
            blown_at=whistle.blown_at,
        )
    )
    session.flush()  # the parent row first: the reports refer to it
    session.add_all(
        WhistleReportRow(
            whistle_id=whistle.whistle_id,
            department_code=report.department_code,
            deadline=report.deadline,
            yellow_at=report.yellow_at,
            reporter_id=report.reporter_id,
            note=report.note,
            breached=report.breached,
        )
        for report in whistle.reports
    )
    session.flush()


def get(session: Session, *, whistle_id: str, lock: bool = False) -> Whistle | None:
    """The whistle with its reports; `lock` (a report about to be made) holds the report rows
    FOR UPDATE until the transaction ends, so the scanner's late mark waits or is seen."""
    row = session.get(WhistleRow, whistle_id)
    if row is None:
        return None
    query = (
        select(WhistleReportRow)
        .where(WhistleReportRow.whistle_id == whistle_id)
        .order_by(WhistleReportRow.department_code)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    reports = session.scalars(query)
    return Whistle(
        whistle_id=row.whistle_id,
        petition_id=row.petition_id,
        blown_by=row.blown_by,
        reason=row.reason,
        blown_at=row.blown_at,
        reports=[_report(report) for report in reports],
    )


def save(session: Session, whistle: Whistle) -> None:
    """Write the reports' state back (a whistle itself never changes)."""
    for report in whistle.reports:
        save_report(session, whistle.whistle_id, report)
    session.flush()


def save_report(session: Session, whistle_id: str, report: WhistleReport) -> None:
    row = session.get(WhistleReportRow, (whistle_id, report.department_code))
    if row is None:
        raise LookupError(f"whistle {whistle_id} has no report of {report.department_code}")
    row.reported_at = report.reported_at
    row.reporter_id = report.reporter_id
    row.note = report.note
    row.breached = report.breached


def mark_late(session: Session, whistle_id: str, report: WhistleReport) -> bool:
    """Mark the report late, only if it is still unmade and not yet marked: False when another
    scanner (or the department's report) got there first, and then nothing may be published."""
    result = session.execute(
        update(WhistleReportRow)
        .where(
            WhistleReportRow.whistle_id == whistle_id,
            WhistleReportRow.department_code == report.department_code,
            WhistleReportRow.reported_at.is_(None),
            WhistleReportRow.breached.is_(False),
        )
        .values(breached=True)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def newly_late_reports(
    session: Session, *, now: datetime, limit: int
) -> list[tuple[str, str, WhistleReport]]:
    """(whistle id, petition id, report) of reports past their deadline, not made and not yet
    reported late; rows another scanner holds are skipped (FOR UPDATE SKIP LOCKED on
    PostgreSQL), and `mark_late` decides who reports each."""
    query = (
        select(WhistleReportRow, WhistleRow.petition_id)
        .join(WhistleRow, WhistleRow.whistle_id == WhistleReportRow.whistle_id)
        .where(
            WhistleReportRow.reported_at.is_(None),
            WhistleReportRow.breached.is_(False),
            WhistleReportRow.deadline <= now,
        )
        .order_by(WhistleReportRow.deadline)
        .limit(limit)
        .with_for_update(of=WhistleReportRow, skip_locked=True)
    )
    return [
        (report.whistle_id, petition_id, _report(report))
        for report, petition_id in session.execute(query).all()
    ]


def list_visible(
    session: Session, *, visibility: Visibility, petition_id: str, open_only: bool, limit: int
) -> list[Whistle]:
    """The newest whistles `visibility` allows: a department those summoning it; grid roles
    those of petitions in their grids and those they blew; everything for the see-all roles."""
    query = select(WhistleRow.whistle_id)
    if petition_id:
        query = query.where(WhistleRow.petition_id == petition_id)
    if open_only:
        owed = select(WhistleReportRow.whistle_id).where(WhistleReportRow.reported_at.is_(None))
        query = query.where(WhistleRow.whistle_id.in_(owed))
    if not visibility.everything:
        if visibility.department:
            summoned = select(WhistleReportRow.whistle_id).where(
                WhistleReportRow.department_code == visibility.department
            )
            query = query.where(WhistleRow.whistle_id.in_(summoned))
        else:
            conditions = []
            if visibility.person_id:
                conditions.append(WhistleRow.blown_by == visibility.person_id)
            if visibility.grid_codes:
                conditions.append(WhistleRow.petition_id.in_(in_grids(visibility.grid_codes)))
            query = query.where(or_(*conditions) if conditions else false())
    query = query.order_by(WhistleRow.blown_at.desc(), WhistleRow.whistle_id).limit(limit)
    found = [get(session, whistle_id=whistle_id) for whistle_id in session.scalars(query)]
    return [whistle for whistle in found if whistle is not None]
