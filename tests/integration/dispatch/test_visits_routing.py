"""A petition raised by a visit's finding is routed to the visit's grid (issue 16): dispatch's
PetitionSubmitted handler, with grid-registry behind real gRPC, assigns a PetitionSubmitted
carrying `visit` to visit.grid_code without locating its point, and the rest of routing (worker,
clock) runs as usual. The finding's petition id, named when the visit was recorded, is the
assignment's. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import visits_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.time_limits import TimePolicy
from gridplus.dispatch.handlers.routing import PetitionRouter
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.dispatch.storage import assignments
from gridplus.kit.consumer import Prepared
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.kit.outbox import Outbox
from tests.integration.dispatch.api_harness import NOISE, TOPIC
from tests.integration.dispatch.grid_registry_stub import square
from tests.integration.dispatch.visits_harness import Visits, metres_outside, visit_api

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[Visits]:
    with visit_api(database_url) as visits:
        visits.household("hh-1", "MN0502")
        yield visits


def route(api: Visits, payload: events_pb2.PetitionSubmitted) -> None:
    """PetitionSubmitted through dispatch's own consumer handler (prepare, then apply)."""
    router = PetitionRouter(
        directory=api.directory,
        outbox=Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=api.clock),
        clock=api.clock,
        policy=TimePolicy(BusinessCalendar(), {}),
    )
    handler = handlers(router)[events_pb2.PetitionSubmitted.DESCRIPTOR.full_name]
    assert isinstance(handler, Prepared)
    event = Event.create(payload, key=payload.petition_id, source="/gridplus/petition",
                         time=api.clock.now())  # fmt: skip
    placement = handler.prepare(event)
    with transaction(api.sessions) as session:
        handler.apply(session, event, placement)


def submitted(
    petition_id: str, point: tuple[float, float], visit: events_pb2.VisitRef | None = None
) -> events_pb2.PetitionSubmitted:
    lat, lon = point
    payload = events_pb2.PetitionSubmitted(
        petition_id=petition_id,
        title="Broken stair light",
        category=NOISE,
        location=common_pb2.GeoPoint(lat=lat, lon=lon),
    )
    if visit is not None:
        payload.visit.CopyFrom(visit)
    return payload


def assigned_grid(api: Visits, petition_id: str) -> str:
    with transaction(api.sessions) as session:
        found = assignments.get(session, petition_id=petition_id)
    assert found is not None, f"{petition_id} was not assigned"
    return found.grid.code


def test_a_visit_findings_petition_goes_assigned_to_the_visits_grid(api: Visits) -> None:
    # The worker stood 60 m outside the grid (within tolerance): a located point would fall in
    # no grid, the visit's grid is the household's.
    point = metres_outside("MN0502", 60)
    finding = visits_pb2.VisitFinding(category=NOISE, title="Broken stair light",
                                      raise_petition=True)  # fmt: skip
    visit = api.record(point=point, findings=[finding])
    petition_id = visit.findings[0].petition_id
    ref = events_pb2.VisitRef(
        visit_id=visit.visit_id, finding_index=1, grid_code=visit.grid_code, worker_id="w-MN0502-1"
    )
    calls = len(api.registry.calls)
    route(api, submitted(petition_id, point, ref))

    assert assigned_grid(api, petition_id) == "MN0502"
    assert "LocateGrid" not in api.registry.calls[calls:]
    [(key, event)] = api.published(events_pb2.PetitionAssigned)
    assert key == petition_id and event.grid.code == "MN0502"
    assert event.assignee_id in {"w-MN0502-1", "w-MN0502-2"}


def test_the_visits_grid_wins_over_the_point_and_other_petitions_are_located(
    api: Visits,
) -> None:
    inside_mn0502 = square("MN0502").centre()
    ref = events_pb2.VisitRef(visit_id="v-1", finding_index=1, grid_code="MN0503")
    route(api, submitted("p-visit", inside_mn0502, ref))
    route(api, submitted("p-plain", inside_mn0502))
    assert assigned_grid(api, "p-visit") == "MN0503"
    assert assigned_grid(api, "p-plain") == "MN0502"
