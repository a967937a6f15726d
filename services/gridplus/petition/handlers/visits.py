"""Petitions raised by a household visit's findings (domain/visits.py): created with the ids
dispatch named, through the outbox, in the consumer's unit of work.

Once per finding: the consumer records each event id with its effect, and a petition that
already exists (a VisitRecorded replayed from the DLQ, or published again under a new event id)
is left as it is, so a visit never raises a finding's petition twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gridplus.kit.db import after_commit
from gridplus.petition import metrics
from gridplus.petition.domain.values import Source
from gridplus.petition.domain.visits import RecordedVisit, raised_petitions
from gridplus.petition.handlers.deps import Deps, publish
from gridplus.petition.storage import imported, repository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def raise_visit_petitions(session: Session, deps: Deps, *, visit: RecordedVisit) -> list[str]:
    """Create the petitions `visit`'s findings raise; returns the ids created now (those that
    existed already are not)."""
    petitions = raised_petitions(visit)
    existing = imported.get_existing_ids(session, ids={p.id for p in petitions})
    created: list[str] = []
    for petition in petitions:
        if petition.id in existing:
            continue
        repository.create(session, petition=petition)
        publish(session, deps.outbox, petition)
        created.append(petition.id)
    if len(created) < len(petitions):
        log.info(
            "visit petitions already raised",
            extra={"visit_id": visit.visit_id, "existing": len(petitions) - len(created)},
        )
    if created:
        counter = metrics.PETITIONS_SUBMITTED.labels(Source.VISIT.value)
        after_commit(session, lambda: counter.inc(len(created)))
    return created
