"""The change feed (petition_changes) that WatchPetitions reads: history entries numbered in
insertion order across all petitions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from gridplus.petition.domain.petition import HistoryEntry, Petition
from gridplus.petition.storage.models import ChangeRow, HistoryRow, PetitionRow
from gridplus.petition.storage.repository import PetitionQuery, entry_of, filtered, petition_of


@dataclass(frozen=True)
class Change:
    """One entry of the change feed."""

    change_id: int
    petition: Petition
    entry: HistoryEntry


def get_changes(
    session: Session, *, after_id: int, up_to: int, query: PetitionQuery, limit: int
) -> list[Change]:
    """Feed entries in (after_id, up_to] whose petition matches `query` (as it is now)."""
    statement = (
        select(ChangeRow, PetitionRow, HistoryRow)
        .join(PetitionRow, PetitionRow.id == ChangeRow.petition_id)
        .join(
            HistoryRow,
            and_(
                HistoryRow.petition_id == ChangeRow.petition_id,
                HistoryRow.seq == ChangeRow.history_seq,
            ),
        )
        .where(ChangeRow.id > after_id, ChangeRow.id <= up_to)
        .order_by(ChangeRow.id)
        .limit(limit)
    )
    statement = filtered(statement, query, None)  # type: ignore[type-var]
    return [
        Change(change.id, petition_of(petition), entry_of(entry))
        for change, petition, entry in session.execute(statement)
    ]


def last_change_id(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(ChangeRow.id), 0))).scalar_one())


def first_gap(session: Session, *, after_id: int, up_to: int) -> int | None:
    """The lowest feed id in (after_id, up_to] not yet visible (a transaction still open,
    or rolled back), or None when the range is complete."""
    ids = session.scalars(
        select(ChangeRow.id).where(ChangeRow.id > after_id, ChangeRow.id <= up_to)
    ).all()
    expected = after_id + 1
    for change_id in sorted(ids):
        if change_id != expected:
            return expected
        expected += 1
    return None if expected > up_to else expected
