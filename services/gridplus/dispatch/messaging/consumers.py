"""Events dispatch consumes, turned into use-case calls."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.handlers import PetitionRouter, PetitionToRoute, Placement
from gridplus.kit.consumer import EventHandler, Prepared, handler_table
from gridplus.kit.events import Event


def petition_to_route(payload: events_pb2.PetitionSubmitted) -> PetitionToRoute:
    location = payload.location if payload.HasField("location") else None
    return PetitionToRoute(
        petition_id=payload.petition_id,
        title=payload.title,
        description=payload.description,
        category=payload.category,
        location=None if location is None else (location.lat, location.lon),
    )


def handlers(router: PetitionRouter) -> dict[str, EventHandler]:
    def place(event: Event) -> Placement:
        return router.place(petition_to_route(event.payload))  # type: ignore[arg-type]

    def route(session: Session, event: Event, placement: Placement) -> None:
        router.route(session, petition_to_route(event.payload), placement)  # type: ignore[arg-type]

    return handler_table((events_pb2.PetitionSubmitted, Prepared(prepare=place, apply=route)))
