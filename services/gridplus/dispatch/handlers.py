"""Dispatch's use cases: each takes a session (the caller's unit of work) and plain values."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from gridplus.dispatch import convert, metrics
from gridplus.dispatch.directory import GridDirectory
from gridplus.dispatch.domain import categories, routing
from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.routing import Assignment, GridPlace, Member
from gridplus.dispatch.storage import repository
from gridplus.dispatch.storage.repository import Cursor
from gridplus.kit.clock import Clock
from gridplus.kit.errors import NotFound, PermissionDenied
from gridplus.kit.outbox import Outbox

log = logging.getLogger(__name__)

OUT_OF_JURISDICTION = "OUT_OF_JURISDICTION"
NO_LOCATION = "NO_LOCATION"
NO_ASSIGNEE = "NO_ASSIGNEE"


@dataclass(frozen=True)
class PetitionToRoute:
    petition_id: str
    title: str
    description: str
    category: str  # empty: dispatch chooses
    location: tuple[float, float] | None  # (lat, lon)


def _after_commit(session: Session, action: Callable[[], None]) -> None:
    # Metrics count what happened: a rolled-back attempt that is retried counts once.
    event.listen(session, "after_commit", lambda _session: action(), once=True)


@dataclass(frozen=True)
class Placement:
    """Where a petition lies and who serves there: asked of grid-registry before the
    transaction opens, so no database lock waits on the network."""

    grid: GridPlace | None
    members: tuple[Member, ...] = ()


class PetitionRouter:
    """Routes a submitted petition to its level-3 grid and an assignee, exactly once."""

    def __init__(self, *, directory: GridDirectory, outbox: Outbox, clock: Clock) -> None:
        self._directory = directory
        self._outbox = outbox
        self._clock = clock

    def place(self, petition: PetitionToRoute) -> Placement:
        if petition.location is None:
            return Placement(grid=None)
        grid = self._directory.locate(*petition.location)
        if grid is None:
            return Placement(grid=None)
        return Placement(grid=grid, members=tuple(self._directory.members(grid.code)))

    def route(
        self, session: Session, petition: PetitionToRoute, placement: Placement | None = None
    ) -> None:
        if not petition.petition_id:
            raise ValueError("PetitionSubmitted without a petition_id cannot be routed")
        if repository.exists(session, petition_id=petition.petition_id):
            # The same petition again (a resend under a new event id): one assignment, ever.
            log.info("petition already assigned", extra={"petition_id": petition.petition_id})
            return
        started = time.perf_counter()
        outcome = self._route(session, petition, placement or self.place(petition))
        elapsed = time.perf_counter() - started
        _after_commit(session, lambda: metrics.ROUTING_SECONDS.labels(outcome).observe(elapsed))

    def _route(self, session: Session, petition: PetitionToRoute, placement: Placement) -> str:
        if petition.location is None:
            return self._fail(session, petition, NO_LOCATION, "the petition has no location")
        lat, lon = petition.location
        grid = placement.grid
        if grid is None:
            why = f"out of jurisdiction: point ({lat:.6f}, {lon:.6f}) lies outside every grid"
            return self._fail(session, petition, OUT_OF_JURISDICTION, why)
        members = list(placement.members)
        classification = categories.categorise(
            petition.category, petition.title, petition.description
        )
        counts = repository.open_counts(session, person_ids=[m.person_id for m in members])
        try:
            assignment = routing.decide(
                petition_id=petition.petition_id,
                grid=grid,
                members=members,
                open_counts=counts,
                classification=classification,
                assigned_at=self._clock.now(),
            )
        except routing.NoAssignee as exc:
            return self._fail(session, petition, NO_ASSIGNEE, str(exc))
        repository.create(session, assignment=assignment)
        self._outbox.add(session, convert.petition_assigned(assignment), key=assignment.petition_id)
        labels = (assignment.grid.level1_code, assignment.assignee_role.value)
        _after_commit(session, lambda: metrics.ASSIGNMENTS.labels(*labels).inc())
        log.info(
            "petition assigned",
            extra={"petition_id": petition.petition_id, "reasons": list(assignment.reasons)},
        )
        return "assigned"

    def _fail(self, session: Session, petition: PetitionToRoute, code: str, why: str) -> str:
        failed = convert.petition_routing_failed(petition.petition_id, code, why, self._clock.now())
        self._outbox.add(session, failed, key=petition.petition_id)
        _after_commit(session, lambda: metrics.ROUTING_FAILURES.labels(code).inc())
        log.info(
            "petition not routed",
            extra={"petition_id": petition.petition_id, "reason_code": code, "reason": why},
        )
        return "failed"


def get_assignment(session: Session, *, petition_id: str, visibility: Visibility) -> Assignment:
    assignment = repository.get(session, petition_id=petition_id)
    if assignment is None:
        raise NotFound(f"petition {petition_id} has no assignment")
    if not visibility.allows(assignment):
        raise PermissionDenied(f"petition {petition_id} lies outside your grids")
    return assignment


def list_assignments(
    session: Session,
    *,
    assignee_id: str,
    grid_code: str,
    visibility: Visibility,
    after: Cursor | None,
    limit: int,
) -> list[Assignment]:
    return repository.list_open(
        session,
        assignee_id=assignee_id,
        grid_code=grid_code,
        visibility=visibility,
        after=after,
        limit=limit,
    )
