"""The petition service's intake and queries: load, let the domain decide, store the petition,
its history and its events (outbox) in the caller's unit of work. Staff mutations and the
reactions to other services' events are in mutations.py."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridplus.kit import idempotency
from gridplus.kit.auth import Role
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import PermissionDenied
from gridplus.kit.outbox import Outbox
from gridplus.petition import metrics, protos
from gridplus.petition.domain import duplicates
from gridplus.petition.domain.access import (
    SEE_ALL,
    Viewer,
    may_see_contact,
    may_submit,
    may_view,
    source_for,
)
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.events import PetitionStatusChanged
from gridplus.petition.domain.petition import HistoryEntry, Light, Petition
from gridplus.petition.domain.photos import REPORT, CleanPhoto, PhotoLimits, PhotoRef, check_count
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import Contact, Source
from gridplus.petition.pii import KeyRing, mask_address, mask_email, mask_name, mask_phone
from gridplus.petition.storage import blobs, contacts, photos, repository
from gridplus.petition.storage.repository import PageKey, PetitionQuery, Scope

T = TypeVar("T")


@dataclass(frozen=True)
class Deps:
    """What the use cases need besides a session."""

    outbox: Outbox
    clock: Clock
    keys: KeyRing
    blobs: blobs.BlobStore
    photo_limits: PhotoLimits = field(default_factory=PhotoLimits)
    duplicate_rule: duplicates.DuplicateRule = field(default_factory=duplicates.DuplicateRule)


@dataclass(frozen=True)
class Submitted:
    petition_id: str
    replayed: bool  # True: the key had been used for this request; nothing new was stored


@dataclass(frozen=True)
class NewPetition:
    """Everything a reporter hands in: the checked submission, their contact, cleaned photos."""

    submission: Submission
    contact: Contact = field(default_factory=Contact)
    photos: list[CleanPhoto] = field(default_factory=list)
    source: Source | None = None  # None: from the submitter's role

    def fingerprint(self) -> str:
        # Hashes only: the fingerprint is stored, the contact must not be.
        return idempotency.request_fingerprint(
            {
                "submission": asdict(self.submission),
                "contact": asdict(self.contact),
                "photos": [photo.digest for photo in self.photos],
                "source": self.source,
            }
        )


@dataclass(frozen=True)
class PetitionView:
    """A petition as one caller may see it."""

    petition: Petition
    contact: Contact | None  # masked unless the caller may see it whole
    contact_masked: bool
    photos: list[PhotoRef]
    possible_duplicates: list[str]  # staff only
    light: Light | None


@dataclass(frozen=True)
class Page:
    petitions: list[Petition]
    next_key: PageKey | None  # None on the last page


def submit_petition(
    session: Session, deps: Deps, *, new: NewPetition, reporter: Viewer
) -> Petition:
    if not may_submit(reporter):
        raise PermissionDenied(f"role {reporter.role.value} may not submit petitions")
    check_count(len(new.photos), deps.photo_limits)
    at = deps.clock.now()
    petition = Petition.submit(
        petition_id=str(uuid.uuid4()),
        submission=new.submission,
        reporter=reporter.actor,
        source=new.source or source_for(reporter),
        at=at,
    )
    # Possible duplicates are found again whenever staff read it (view_of), so the list stays
    # current as petitions close; nothing about other petitions enters this one's history.
    repository.create(session, petition=petition)
    if not new.contact.is_empty():
        contacts.save(
            session,
            petition_id=petition.id,
            reporter_id=reporter.id,
            contact=new.contact,
            keys=deps.keys,
        )
    store_photos(
        session, deps, petition_id=petition.id, photos_=new.photos, stage=REPORT, by=reporter
    )
    publish(session, deps.outbox, petition)
    return petition


def store_photos(
    session: Session,
    deps: Deps,
    *,
    petition_id: str,
    photos_: list[CleanPhoto],
    stage: str,
    by: Viewer,
) -> list[PhotoRef]:
    # The limit holds per stage: the reporter's photos, and the handlers' photos of the result.
    stored = photos.count(session, petition_id=petition_id, stage=stage)
    check_count(stored + len(photos_), deps.photo_limits)
    for photo in photos_:
        deps.blobs.put(photo.digest, photo.data)  # content-addressed: a retry rewrites nothing
        metrics.PHOTOS_STORED.labels(stage).inc()
    return photos.add(
        session,
        petition_id=petition_id,
        photos=photos_,
        stage=stage,
        uploaded_by=by.id,
        at=deps.clock.now(),
    )


def submit_petition_once(
    sessions: SessionFactory,
    deps: Deps,
    *,
    new: NewPetition,
    reporter: Viewer,
    key: str | None,
    key_field: str,
) -> Submitted:
    """Submit in its own transaction; with a key, a retry of the same request is answered with
    the first result and stores nothing (`key_field` names the key in errors)."""

    def submit(session: Session) -> str:
        return submit_petition(session, deps, new=new, reporter=reporter).id

    petition_id, replayed = run_once(
        sessions,
        deps.clock,
        scope=_scope("submit", reporter),
        key=key,
        fingerprint=new.fingerprint(),
        field=key_field,
        action=submit,
    )
    if not replayed:
        metrics.PETITIONS_SUBMITTED.labels((new.source or source_for(reporter)).value).inc()
    return Submitted(petition_id, replayed)


def run_once(
    sessions: SessionFactory,
    clock: Clock,
    *,
    scope: str,
    key: str | None,
    fingerprint: str,
    field: str,
    action: Callable[[Session], str],
) -> tuple[str, bool]:
    """Run `action` (returning a petition id) in its own transaction, once per key: a retry
    returns the first id and `True` (replayed); a key reused for another request is refused."""

    def attempt() -> tuple[str, bool]:
        with transaction(sessions) as session:
            if key is None:
                return action(session), False
            stored = idempotency.recall(
                session, scope=scope, key=key, fingerprint=fingerprint, field=field
            )
            if stored is not None:
                return str(stored["id"]), True
            petition_id = action(session)
            idempotency.remember(
                session,
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                response={"id": petition_id},
                clock=clock,
            )
            return petition_id, False

    try:
        return attempt()
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request with the same key committed first: answer with its result.
        return attempt()


def _scope(operation: str, caller: Viewer) -> str:
    # Keys are per caller: two residents may pick the same key. The scope column holds 100.
    subject = caller.id
    if len(subject) > 80:
        subject = hashlib.sha256(subject.encode()).hexdigest()[:64]
    return f"petition.{operation}:{subject}"


def scope_for(operation: str, caller: Viewer) -> str:
    return _scope(operation, caller)


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
    petition = repository.get(session, petition_id=petition_id)
    merged = repository.get_duplicates(session, petition_id=petition_id)
    found = contacts.get_many(
        session, petition_ids=[petition.id, *(p.id for p in merged)], keys=deps.keys
    )
    out = [ReporterContact(petition.reporter.id, found.get(petition.id, Contact()), False)]
    seen = {petition.reporter.id}
    for duplicate in merged:
        if duplicate.reporter.id in seen:
            continue
        seen.add(duplicate.reporter.id)
        contact = found.get(duplicate.id, Contact())
        out.append(ReporterContact(duplicate.reporter.id, contact, True))
    return out


def anonymise_resident(session: Session, deps: Deps, *, resident_id: str) -> int:
    """Erase every contact the resident left; their petitions stay. Returns how many."""
    return contacts.erase(session, reporter_id=resident_id, at=deps.clock.now())


def publish(session: Session, outbox: Outbox, petition: Petition) -> None:
    for event in petition.events:
        outbox.add(session, protos.event_payload(event), key=petition.id)
        if isinstance(event, PetitionStatusChanged):
            metrics.TRANSITIONS.labels(event.from_status.value, event.to_status.value).inc()
    petition.events.clear()
