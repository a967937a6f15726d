"""Reading petitions: one as a caller may see it (contact masked unless they may see it whole,
possible duplicates for staff, the light), lists, history and photos. Someone who may not see a
petition gets NotFound, so ids cannot be probed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridplus.kit.clock import Clock
from gridplus.kit.masking import mask_address, mask_email, mask_name, mask_phone
from gridplus.kit.roles import Role
from gridplus.petition.domain import duplicates
from gridplus.petition.domain.access import SEE_ALL, Viewer, may_see_contact, may_view
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.petition import HistoryEntry, Petition
from gridplus.petition.domain.photos import PhotoRef
from gridplus.petition.domain.values import Contact
from gridplus.petition.domain.views import PetitionView
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.storage import contacts, photos, repository
from gridplus.petition.storage.repository import PageKey, PetitionQuery, Scope

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    petitions: list[Petition]
    next_key: PageKey | None  # None on the last page


def find_duplicates(session: Session, deps: Deps, *, petition: Petition) -> list[Petition]:
    """Open petitions of the same category within the rule's radius and window, nearest
    first. Without a category there is nothing to compare yet."""
    if not petition.category:
        return []
    rule = deps.duplicate_rule
    box = duplicates.bounding_box(petition.location, rule.radius_m)
    candidates = repository.get_open_near(
        session,
        category=petition.category,
        south=box.south,
        north=box.north,
        west=box.west,
        east=box.east,
        since=petition.created_at - rule.window,
        open_statuses=duplicates.OPEN_STATUSES,
    )
    near = [
        (duplicates.distance_m(petition.location, other.location), other)
        for other in candidates
        if other.id != petition.id
    ]
    return [
        other for distance, other in sorted(near, key=lambda x: x[0]) if distance <= rule.radius_m
    ]


def get_petition(session: Session, *, petition_id: str, viewer: Viewer) -> Petition:
    """The petition if `viewer` may see it; otherwise NotFound, so ids cannot be probed."""
    petition = repository.get(session, petition_id=petition_id)
    if not may_view(petition, viewer, follows=_follows(session, petition, viewer)):
        raise PetitionNotFound(petition_id)
    return petition


def get_view(session: Session, deps: Deps, *, petition_id: str, viewer: Viewer) -> PetitionView:
    petition = get_petition(session, petition_id=petition_id, viewer=viewer)
    return view_of(session, deps, petition=petition, viewer=viewer)


def view_of(
    session: Session,
    deps: Deps,
    *,
    petition: Petition,
    viewer: Viewer,
    with_duplicates: bool = True,
) -> PetitionView:
    """`with_duplicates`: look for possible duplicates (staff, one petition at a time)."""
    contact = contacts.get(session, petition_id=petition.id, keys=deps.keys)
    whole = may_see_contact(petition, viewer)
    if contact is not None and not whole:
        contact = mask(contact)
    staff = viewer.role is not Role.RESIDENT
    looking = staff and with_duplicates
    similar = find_duplicates(session, deps, petition=petition) if looking else []
    return PetitionView(
        petition=petition,
        contact=contact,
        contact_masked=not whole,
        photos=photos.get_all(session, petition_id=petition.id),
        possible_duplicates=[p.id for p in similar],
        light=petition.light(deps.clock.now()),
    )


def mask(contact: Contact) -> Contact:
    return Contact(
        name=mask_name(contact.name),
        phone=mask_phone(contact.phone),
        email=mask_email(contact.email),
        address=mask_address(contact.address),
        language=contact.language,
    )


def get_photo(
    session: Session, deps: Deps, *, petition_id: str, seq: int, viewer: Viewer
) -> tuple[PhotoRef, bytes]:
    """A photo's bytes, only for those who may see the petition."""
    get_petition(session, petition_id=petition_id, viewer=viewer)
    for ref in photos.get_all(session, petition_id=petition_id):
        if ref.seq == seq:
            return ref, deps.blobs.get(ref.digest)
    raise PetitionNotFound(f"{petition_id}/photos/{seq}")


def _follows(session: Session, petition: Petition, viewer: Viewer) -> bool:
    if petition.reporter.id == viewer.id or viewer.role is not Role.RESIDENT:
        return False
    if repository.follows(session, petition_id=petition.id, reporter_id=viewer.id):
        return True
    # Through a chain of merges (C into B, then B into A): rare, so only looked at on a miss.
    merged = repository.get_duplicates(session, petition_id=petition.id)
    return any(duplicate.reporter.id == viewer.id for duplicate in merged)


def scope_of(viewer: Viewer) -> Scope | None:
    """The SQL form of domain.access: None for roles that see everything."""
    if viewer.role in SEE_ALL:
        return None
    if viewer.role is Role.RESIDENT:
        return Scope(subject=viewer.id)
    return Scope(viewer.id, viewer.grid_codes, viewer.department)


def list_petitions(
    session: Session, *, query: PetitionQuery, after: PageKey | None, limit: int, clock: Clock
) -> Page:
    found = repository.get_all(session, query=query, after=after, limit=limit + 1, now=clock.now())
    petitions = found[:limit]
    more = len(found) > limit
    last = petitions[-1] if petitions else None
    next_key = PageKey(repository.sort_value(last, query.sort), last.id) if more and last else None
    return Page(petitions, next_key)


def get_history(session: Session, *, petition_id: str, viewer: Viewer) -> list[HistoryEntry]:
    get_petition(session, petition_id=petition_id, viewer=viewer)
    return repository.get_history(session, petition_id=petition_id)
