"""The triage queue's repository: TriageItems in and out of their rows, and the queue in order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.places import GridPlace
from gridplus.dispatch.domain.triage import Suggestion, TriageItem
from gridplus.dispatch.storage.models import CLOSED, OPEN, TriageGridRow, TriageRow


def _to_domain(row: TriageRow) -> TriageItem:
    return TriageItem(
        petition_id=row.petition_id,
        title=row.title,
        description=row.description,
        location=(row.lat, row.lon),
        grid=GridPlace(row.grid_code, 3, tuple(row.grid_path), row.grid_set_version),
        best_guess=row.best_guess,
        confidence=row.confidence,
        sent_at=row.sent_at,
        open=row.status == OPEN,
        suggestions=tuple(_suggestion(s) for s in row.suggestions or ()),
    )


def _suggestion(stored: dict[str, object]) -> Suggestion:
    confidence = stored.get("confidence", 0.0)
    return Suggestion(
        code=str(stored["code"]),
        name_zh=str(stored.get("name_zh", "")),
        name_en=str(stored.get("name_en", "")),
        confidence=float(confidence) if isinstance(confidence, int | float) else 0.0,
    )


def add(session: Session, item: TriageItem) -> None:
    if session.get(TriageRow, item.petition_id) is not None:
        return
    session.add(
        TriageRow(
            petition_id=item.petition_id,
            title=item.title,
            description=item.description,
            lat=item.location[0],
            lon=item.location[1],
            grid_code=item.grid.code,
            grid_path=list(item.grid.path),
            grid_set_version=item.grid.grid_set_version,
            best_guess=item.best_guess,
            confidence=item.confidence,
            sent_at=item.sent_at,
            status=OPEN if item.open else CLOSED,
            suggestions=[
                {
                    "code": s.code,
                    "name_zh": s.name_zh,
                    "name_en": s.name_en,
                    "confidence": s.confidence,
                }
                for s in item.suggestions
            ],
        )
    )
    session.flush()  # the parent row first: triage_grids refers to it
    codes = dict.fromkeys([*item.grid.path, item.grid.code])
    session.add_all(TriageGridRow(grid_code=code, petition_id=item.petition_id) for code in codes)
    session.flush()


def save(session: Session, item: TriageItem) -> None:
    row = session.get(TriageRow, item.petition_id)
    if row is None:
        raise LookupError(f"petition {item.petition_id} is not in triage")
    row.status = OPEN if item.open else CLOSED
    session.flush()


def get(
    session: Session, *, petition_id: str, visibility: Visibility, lock: bool = False
) -> TriageItem | None:
    """The petition in triage, None when there is none or it lies outside `visibility`; `lock`
    holds its row until the transaction ends (it is about to leave triage)."""
    row = session.get(TriageRow, petition_id, with_for_update=lock or None)
    if row is None or not visibility.covers([*row.grid_path, row.grid_code]):
        return None
    return _to_domain(row)


def list_open(
    session: Session, *, visibility: Visibility, after: tuple[datetime, str] | None, limit: int
) -> list[TriageItem]:
    """Petitions waiting in triage within `visibility`, oldest first."""
    query = select(TriageRow).where(TriageRow.status == OPEN)
    if not visibility.everything:
        in_scope = select(TriageGridRow.petition_id).where(
            TriageGridRow.grid_code.in_(visibility.grid_codes)
        )
        query = query.where(TriageRow.petition_id.in_(in_scope))
    if after is not None:
        sent, petition_id = after
        query = query.where(
            or_(
                TriageRow.sent_at > sent,
                and_(TriageRow.sent_at == sent, TriageRow.petition_id > petition_id),
            )
        )
    query = query.order_by(TriageRow.sent_at, TriageRow.petition_id).limit(limit)
    return [_to_domain(row) for row in session.scalars(query)]
