"""Submitting a petition: the checked submission, the reporter's contact (sealed) and cleaned
photos stored with it, its `PetitionSubmitted` in the outbox, once per Idempotency-Key or
request id."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from gridplus.kit import idempotency
from gridplus.kit.db import SessionFactory
from gridplus.kit.errors import PermissionDenied
from gridplus.petition import metrics
from gridplus.petition.domain.access import Viewer, may_submit, source_for
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.photos import REPORT, CleanPhoto, PhotoRef, check_count
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import Contact, Source
from gridplus.petition.handlers.deps import Deps, key_scope, publish
from gridplus.petition.storage import contacts, photos, repository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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

    def request(self) -> dict[str, Any]:
        """What a retry must repeat. Hashes only: the fingerprint is stored, the contact must
        not be."""
        return {
            "submission": asdict(self.submission),
            "contact": asdict(self.contact),
            "photos": [photo.digest for photo in self.photos],
            "source": self.source,
        }


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
    # Possible duplicates are found again whenever staff read it (queries.view_of), so the list
    # stays current as petitions close; nothing about other petitions enters this one's history.
    repository.create(session, petition=petition)
    if not new.contact.is_empty():
        contacts.save(
            session,
            petition_id=petition.id,
            reporter_id=reporter.id,
            contact=new.contact,
            keys=deps.keys,
        )
    if new.photos:  # a new petition has none stored yet: without photos, nothing to count
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
    """Record photos already in the blob store (`upload_photos`, before this transaction)."""
    stored = photos.count(session, petition_id=petition_id, stage=stage)
    check_count(stored + len(photos_), deps.photo_limits)
    for _ in photos_:
        metrics.PHOTOS_STORED.labels(stage).inc()
    return photos.add(
        session,
        petition_id=petition_id,
        photos=photos_,
        stage=stage,
        uploaded_by=by.id,
        at=deps.clock.now(),
    )


def upload_photos(deps: Deps, photos_: list[CleanPhoto]) -> None:
    """Put the bytes in the blob store before the transaction that records them opens: a slow
    or unreachable store (an S3 bucket across the network) then holds no database transaction
    or row lock, and no committed row names a blob that is not there. Content-addressed, so a
    retry (or a request refused later) writes nothing twice and leaves at most an unreferenced
    object; BlobStoreUnavailable stops the request before anything is recorded."""
    for photo in photos_:
        deps.blobs.put(photo.digest, photo.data)


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
    if not may_submit(reporter):
        raise PermissionDenied(f"role {reporter.role.value} may not submit petitions")
    check_count(len(new.photos), deps.photo_limits)
    upload_photos(deps, new.photos)

    def submit(session: Session) -> dict[str, Any]:
        return {"id": submit_petition(session, deps, new=new, reporter=reporter).id}

    answer, replayed = idempotency.run_once(
        sessions,
        deps.clock,
        scope=key_scope("submit", reporter),
        key=key,
        request=new.request(),
        action=submit,
        field=key_field,
    )
    if not replayed:
        metrics.PETITIONS_SUBMITTED.labels((new.source or source_for(reporter)).value).inc()
    return Submitted(str(answer["id"]), replayed)
