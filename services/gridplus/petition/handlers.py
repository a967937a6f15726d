"""The petition service's use cases: load, let the domain decide, store the petition, its
history and its events (outbox) in the caller's unit of work."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridplus.kit import idempotency
from gridplus.kit.auth import Role
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import PermissionDenied
from gridplus.kit.outbox import Outbox
from gridplus.petition import metrics, protos
from gridplus.petition.domain.access import may_submit, may_view, source_for
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.petition import HistoryEntry, Petition
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import Actor, GridRef
from gridplus.petition.storage import repository
from gridplus.petition.storage.repository import PageKey, PetitionQuery

log = logging.getLogger(__name__)

DISPATCH = Actor("dispatch", Role.SERVICE)


@dataclass(frozen=True)
class Submitted:
    petition_id: str
    replayed: bool  # True: the key had been used for this request; nothing new was stored


@dataclass(frozen=True)
class Page:
    petitions: list[Petition]
    next_key: PageKey | None  # None on the last page


def submit_petition(
    session: Session, *, outbox: Outbox, clock: Clock, submission: Submission, reporter: Actor
) -> Petition:
    if not may_submit(reporter):
        raise PermissionDenied(f"role {reporter.role.value} may not submit petitions")
    petition = Petition.submit(
        petition_id=str(uuid.uuid4()),
        submission=submission,
        reporter=reporter,
        source=source_for(reporter),
        at=clock.now(),
    )
    repository.create(session, petition=petition)
    _publish(session, outbox, petition)
    return petition


def submit_petition_once(
    sessions: SessionFactory,
    *,
    outbox: Outbox,
    clock: Clock,
    submission: Submission,
    reporter: Actor,
    key: str | None,
    key_field: str,
) -> Submitted:
    """Submit in its own transaction; with a key, a retry of the same request is answered with
    the first result and stores nothing (`key_field` names the key in errors)."""

    def attempt() -> Submitted:
        with transaction(sessions) as session:
            return _submit_keyed(session, outbox, clock, submission, reporter, key, key_field)

    try:
        result = attempt()
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request with the same key committed first: answer with its result.
        result = attempt()
    if not result.replayed:
        metrics.PETITIONS_SUBMITTED.labels(source_for(reporter).value).inc()
    return result


def _submit_keyed(
    session: Session,
    outbox: Outbox,
    clock: Clock,
    submission: Submission,
    reporter: Actor,
    key: str | None,
    key_field: str,
) -> Submitted:
    if key is None:
        petition = submit_petition(
            session, outbox=outbox, clock=clock, submission=submission, reporter=reporter
        )
        return Submitted(petition.id, replayed=False)
    scope = _submit_scope(reporter)
    fingerprint = idempotency.request_fingerprint(asdict(submission))
    stored = idempotency.recall(
        session, scope=scope, key=key, fingerprint=fingerprint, field=key_field
    )
    if stored is not None:
        return Submitted(stored["id"], replayed=True)
    petition = submit_petition(
        session, outbox=outbox, clock=clock, submission=submission, reporter=reporter
    )
    response = {"id": petition.id, "status": petition.status.value}
    idempotency.remember(
        session, scope=scope, key=key, fingerprint=fingerprint, response=response, clock=clock
    )
    return Submitted(petition.id, replayed=False)


def _submit_scope(reporter: Actor) -> str:
    # Keys are per caller: two residents may pick the same key. The scope column holds 100.
    subject = reporter.id
    if len(subject) > 80:
        subject = hashlib.sha256(subject.encode()).hexdigest()[:64]
    return f"petition.submit:{subject}"


def apply_assignment(
    session: Session,
    *,
    outbox: Outbox,
    petition_id: str,
    grid: GridRef,
    assignee_id: str,
    deadline: datetime,
    category: str | None,
    at: datetime,
    note: str = "",
) -> bool:
    """Dispatch routed the petition. Returns False when it was ignored because the petition has
    moved on (rejected, merged, or already assigned): a late or repeated routing decision must
    not overwrite what happened since."""
    petition = repository.get(session, petition_id=petition_id, lock=True)
    if petition.status is not Status.SUBMITTED:
        log.warning(
            "assignment ignored: the petition is no longer waiting for routing",
            extra={"petition_id": petition_id, "status": petition.status.value},
        )
        return False
    petition.assign(
        grid=grid,
        assignee_id=assignee_id,
        deadline=deadline,
        category=category,
        actor=DISPATCH,
        at=at,
        note=note,
    )
    repository.update(session, petition=petition)
    _publish(session, outbox, petition)
    return True


def apply_routing_failure(
    session: Session, *, outbox: Outbox, petition_id: str, reason: str, at: datetime
) -> bool:
    """Dispatch could not route it (e.g. out of jurisdiction): rejected with the reason.
    Returns False when ignored because the petition is no longer waiting for routing."""
    petition = repository.get(session, petition_id=petition_id, lock=True)
    if petition.status is not Status.SUBMITTED:
        log.warning(
            "routing failure ignored: the petition is no longer waiting for routing",
            extra={"petition_id": petition_id, "status": petition.status.value},
        )
        return False
    petition.reject(reason=reason, actor=DISPATCH, at=at)
    repository.update(session, petition=petition)
    _publish(session, outbox, petition)
    return True


def get_petition(session: Session, *, petition_id: str, viewer: Actor) -> Petition:
    """The petition if `viewer` may see it; otherwise NotFound, so ids cannot be probed."""
    petition = repository.get(session, petition_id=petition_id)
    if not may_view(petition, viewer):
        raise PetitionNotFound(petition_id)
    return petition


def list_petitions(
    session: Session, *, query: PetitionQuery, after: PageKey | None, limit: int
) -> Page:
    found = repository.get_all(session, query=query, after=after, limit=limit + 1)
    petitions = found[:limit]
    more = len(found) > limit
    last = petitions[-1] if petitions else None
    next_key = PageKey(last.created_at, last.id) if more and last else None
    return Page(petitions, next_key)


def get_history(session: Session, *, petition_id: str, viewer: Actor) -> list[HistoryEntry]:
    get_petition(session, petition_id=petition_id, viewer=viewer)
    return repository.get_history(session, petition_id=petition_id)


def _publish(session: Session, outbox: Outbox, petition: Petition) -> None:
    for event in petition.events:
        outbox.add(session, protos.event_payload(event), key=petition.id)
    petition.events.clear()
