"""What the use cases need besides a session, and what each of them ends with: the events the
aggregate recorded go to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gridplus.kit.clock import Clock
from gridplus.kit.idempotency import caller_scope
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing
from gridplus.petition import metrics
from gridplus.petition.api.convert import event_payload
from gridplus.petition.domain import duplicates
from gridplus.petition.domain.access import Viewer
from gridplus.petition.domain.events import PetitionStatusChanged
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.photos import PhotoLimits
from gridplus.petition.ports import CategorySource
from gridplus.petition.storage import blobs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Deps:
    """What the use cases need besides a session."""

    outbox: Outbox
    clock: Clock
    keys: KeyRing
    blobs: blobs.BlobStore
    photo_limits: PhotoLimits = field(default_factory=PhotoLimits)
    duplicate_rule: duplicates.DuplicateRule = field(default_factory=duplicates.DuplicateRule)
    # grid-registry's taxonomy: a category staff choose is checked against it (None: no
    # taxonomy here, so no category can be checked and none is taken).
    categories: CategorySource | None = None


def publish(session: Session, outbox: Outbox, petition: Petition) -> None:
    """The events `petition` recorded, into the outbox of this unit of work."""
    outbox.add_all(session, [(event_payload(event), petition.id) for event in petition.events])
    for event in petition.events:
        if isinstance(event, PetitionStatusChanged):
            metrics.TRANSITIONS.labels(event.from_status.value, event.to_status.value).inc()
    petition.events.clear()


def key_scope(operation: str, caller: Viewer) -> str:
    """Request ids and Idempotency-Keys are per caller (two residents may pick the same key)."""
    return caller_scope(f"petition.{operation}", caller.id)
