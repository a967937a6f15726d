"""Events dispatch consumes, turned into use-case calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.dispatch.api.visit_convert import household_change
from gridplus.dispatch.domain.places import GridPlace
from gridplus.dispatch.handlers.clocks import ClockKeeper, HandlePlan
from gridplus.dispatch.handlers.households import HouseholdReplica
from gridplus.dispatch.handlers.routing import PetitionRouter, PetitionToRoute, Placement
from gridplus.dispatch.ports import GridDirectory
from gridplus.dispatch.storage import assignments
from gridplus.kit.consumer import EventHandler, Prepared, handler_table
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event

# The petition is finished (or merged away): its assignment closes and its light goes out.
_FINAL = {
    petition_pb2.PETITION_STATUS_RESOLVED,
    petition_pb2.PETITION_STATUS_CLOSED,
    petition_pb2.PETITION_STATUS_REJECTED,
    petition_pb2.PETITION_STATUS_DUPLICATE,
}
# The handle clock (re)starts: on verification, and on reopening (a new clock, DESIGN).
_HANDLING = {petition_pb2.PETITION_STATUS_VERIFIED, petition_pb2.PETITION_STATUS_REOPENED}


def petition_to_route(payload: events_pb2.PetitionSubmitted) -> PetitionToRoute:
    location = payload.location if payload.HasField("location") else None
    return PetitionToRoute(
        petition_id=payload.petition_id,
        title=payload.title,
        description=payload.description,
        category=payload.category,
        location=None if location is None else (location.lat, location.lon),
        visit_grid_code=payload.visit.grid_code if payload.HasField("visit") else "",
    )


def handlers(
    router: PetitionRouter,
    keeper: ClockKeeper | None = None,
    sessions: SessionFactory | None = None,
    households: tuple[HouseholdReplica, GridDirectory] | None = None,
) -> dict[str, EventHandler]:
    # Imported history (events.proto `imported`: closed long ago in another system) is not
    # routed: no assignment, no clock, no light; petition located it in its grid already.
    def place(event: Event) -> Placement | None:
        if event.payload.HasField("imported"):  # type: ignore[attr-defined]
            return None
        return router.place(petition_to_route(event.payload))  # type: ignore[arg-type]

    # Petitions a poll's one read found unrouted; each is taken out when routed, so a resend
    # in the same poll, or a retry after a rolled-back batch, asks the database again.
    unrouted: set[str] = set()

    def route(session: Session, event: Event, placement: Placement | None) -> None:
        if placement is not None:
            petition = petition_to_route(event.payload)  # type: ignore[arg-type]
            known = petition.petition_id in unrouted
            unrouted.discard(petition.petition_id)
            router.route(session, petition, placement, known_unrouted=known)

    def ahead(events: Sequence[Event]) -> None:
        assert sessions is not None
        unrouted.clear()  # a poll's answer holds for that poll only
        payloads: list[events_pb2.PetitionSubmitted] = [e.payload for e in events]  # type: ignore[misc]
        ids = [p.petition_id for p in payloads if p.petition_id and not p.HasField("imported")]
        with transaction(sessions) as session:
            unrouted.update(set(ids) - assignments.routed_among(session, ids))

    submitted = Prepared(prepare=place, apply=route, prepare_ahead=ahead if sessions else None)
    pairs: list[tuple[type, EventHandler]] = [(events_pb2.PetitionSubmitted, submitted)]
    if keeper is not None and sessions is not None:
        pairs += status_handlers(keeper, sessions)
    if households is not None:
        pairs.append(household_handler(*households))
        pairs += grid_set_handlers(households[1])
    return handler_table(*pairs)


def grid_set_handlers(directory: GridDirectory) -> list[tuple[type, EventHandler]]:
    """A new grid set or a membership change (gridplus.grid.events.v1): the directory stops
    answering from what it held (handlers/grid_cache.py). Nothing is written: dropping cached
    answers twice, on a replayed event, costs one more look-up."""

    def imported(session: Session, event: Event) -> None:
        payload: events_pb2.GridSetImported = event.payload  # type: ignore[assignment]
        directory.grid_set_imported(payload.grid_set_version)

    def membership(session: Session, event: Event) -> None:
        payload: events_pb2.MembershipChanged = event.payload  # type: ignore[assignment]
        directory.membership_changed(payload.grid_code)

    return [
        (events_pb2.GridSetImported, imported),
        (events_pb2.MembershipChanged, membership),
    ]


def household_handler(
    replica: HouseholdReplica, directory: GridDirectory
) -> tuple[type, EventHandler]:
    """HouseholdChanged (gridplus.grid.events.v1) into the household replica and care clocks;
    the grid's path is asked of grid-registry first (cached), outside the transaction."""

    def grid_of(event: Event) -> GridPlace | None:
        payload: events_pb2.HouseholdChanged = event.payload  # type: ignore[assignment]
        return directory.grid(payload.grid_code) if payload.grid_code else None

    def changed(session: Session, event: Event, grid: GridPlace | None) -> None:
        payload: events_pb2.HouseholdChanged = event.payload  # type: ignore[assignment]
        if payload.household_id:
            replica.apply(session, household_change(payload, grid, event.time))

    return events_pb2.HouseholdChanged, Prepared(prepare=grid_of, apply=changed)


def status_handlers(
    keeper: ClockKeeper, sessions: SessionFactory
) -> list[tuple[type, EventHandler]]:
    def plan_of(event: Event) -> HandlePlan | None:
        payload: events_pb2.PetitionStatusChanged = event.payload  # type: ignore[assignment]
        if payload.to_status not in _HANDLING or payload.imported:
            return None
        # The category (the event's: staff may have changed it at verification) and its
        # department are grid-registry's: looked up before the transaction (cached there).
        with transaction(sessions) as session:
            found = keeper.routed(session, petition_id=payload.petition_id)
        if found is None:
            return None
        return keeper.plan_handling(routed=found, category_code=payload.category)

    def changed(session: Session, event: Event, plan: HandlePlan | None) -> None:
        payload: events_pb2.PetitionStatusChanged = event.payload  # type: ignore[assignment]
        if payload.imported:  # history: dispatch never held it
            return
        if payload.to_status in _FINAL:
            keeper.close(session, petition_id=payload.petition_id)
        elif payload.to_status in _HANDLING and plan is not None:
            at = (
                payload.changed_at.ToDatetime(tzinfo=UTC)
                if payload.HasField("changed_at")
                else event.time
            )
            status = petition_pb2.PetitionStatus.Name(payload.to_status).removeprefix(
                "PETITION_STATUS_"
            )
            keeper.start_handling(
                session,
                petition_id=payload.petition_id,
                plan=plan,
                at=at,
                why=f"petition {status.lower()}",
                reopened=payload.to_status == petition_pb2.PETITION_STATUS_REOPENED,
                actor_id=payload.actor_id,
                deadline=_chosen_deadline(payload),
            )

    def merged(session: Session, event: Event) -> None:
        payload: events_pb2.PetitionMerged = event.payload  # type: ignore[assignment]
        keeper.close(session, petition_id=payload.petition_id)

    return [
        (events_pb2.PetitionStatusChanged, Prepared(prepare=plan_of, apply=changed)),
        (events_pb2.PetitionMerged, merged),
    ]


def _chosen_deadline(payload: events_pb2.PetitionStatusChanged) -> datetime | None:
    """The handling deadline staff set themselves at verification; None: the SLA rules."""
    if payload.to_status != petition_pb2.PETITION_STATUS_VERIFIED:
        return None
    if not payload.HasField("handling_deadline"):
        return None
    return payload.handling_deadline.ToDatetime(tzinfo=UTC)
