"""Reporters' personal data: their whole contacts for notification (the service role only), and
erasing a resident's contacts (their petitions stay), once per request id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gridplus.kit import idempotency
from gridplus.kit.db import SessionFactory
from gridplus.petition.domain.access import Viewer
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.values import Contact
from gridplus.petition.handlers.deps import Deps, key_scope
from gridplus.petition.storage import contacts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ReporterContact:
    reporter_id: str
    contact: Contact
    via_duplicate: bool


def get_reporter_contacts(
    session: Session, deps: Deps, *, petition_id: str
) -> list[ReporterContact]:
    """Whole contacts of the petition's reporter and of reporters of petitions merged into it
    (for notification; the caller's role was checked by the API policy)."""
    found = contacts.reporters(session, petition_id=petition_id, keys=deps.keys)
    if not found:
        raise PetitionNotFound(petition_id)
    return _contacts_of(found)


def _contacts_of(found: list[contacts.Reporter]) -> list[ReporterContact]:
    """The petition's reporter first, then each other reporter of the merged ones once."""
    petition, *merged = found
    out = [ReporterContact(petition.reporter_id, petition.contact or Contact(), False)]
    seen = {petition.reporter_id}
    for duplicate in merged:
        if duplicate.reporter_id in seen:
            continue
        seen.add(duplicate.reporter_id)
        out.append(ReporterContact(duplicate.reporter_id, duplicate.contact or Contact(), True))
    return out


MAX_BATCH_PETITIONS = 500


def get_many_reporter_contacts(
    session: Session, deps: Deps, *, petition_ids: Sequence[str]
) -> dict[str, list[ReporterContact]]:
    """`get_reporter_contacts` of each petition that exists, in the order asked, each once (one
    call, one transaction and a statement per level of merges for a whole batch of
    notification's events)."""
    found = contacts.reporters_of_many(session, petition_ids=petition_ids, keys=deps.keys)
    return {petition_id: _contacts_of(reporters) for petition_id, reporters in found.items()}


def anonymise_resident(session: Session, deps: Deps, *, resident_id: str) -> int:
    """Erase every contact the resident left; their petitions stay. Returns how many."""
    return contacts.erase(session, reporter_id=resident_id, at=deps.clock.now())


def anonymise_resident_once(
    sessions: SessionFactory, deps: Deps, *, resident_id: str, caller: Viewer, request_id: str
) -> int:
    """AnonymiseResident in its own transaction, once per request id: a retry answers the count
    the first call erased."""

    def erase(session: Session) -> dict[str, Any]:
        return {"erased": anonymise_resident(session, deps, resident_id=resident_id)}

    answer, _ = idempotency.run_once(
        sessions,
        deps.clock,
        scope=key_scope("anonymise", caller),
        key=request_id,
        request={"resident_id": resident_id},
        action=erase,
    )
    return int(answer["erased"])
