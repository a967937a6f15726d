"""What the history import and visit petitions ask the petitions table: which of a batch exist."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridplus.petition.storage.models import PetitionRow


def get_existing_ids(session: Session, *, ids: Collection[str]) -> set[str]:
    """The ids among `ids` that are already petitions (imported before, by this run or another)."""
    if not ids:
        return set()
    found = session.execute(select(PetitionRow.id).where(PetitionRow.id.in_(list(ids))))
    return set(found.scalars())
