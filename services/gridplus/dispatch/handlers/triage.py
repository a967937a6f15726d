"""Reading the triage queue within the caller's scope (choosing a category routes the petition:
`routing.PetitionRouter.prepare_triage` and `route_triaged`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.triage import TriageItem
from gridplus.dispatch.storage import triage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def list_triage(
    session: Session, *, visibility: Visibility, after: tuple[datetime, str] | None, limit: int
) -> list[TriageItem]:
    """Petitions waiting in triage within `visibility`, oldest first."""
    return triage.list_open(session, visibility=visibility, after=after, limit=limit)
