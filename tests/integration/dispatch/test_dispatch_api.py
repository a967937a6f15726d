"""DispatchService over real gRPC with JWT auth, on assignments the router stored, on SQLite and
PostgreSQL. The grid registry is the in-memory fake: these tests are about what staff read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from gridplus.api.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.api.grpc import POLICY, SERVICE_NAME, DispatchServicer
from gridplus.dispatch.handlers import PetitionRouter, PetitionToRoute
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import transaction
from gridplus.kit.events import parse_payload
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from tests.conftest import JWT_SECRET
from tests.integration.dispatch.grid_registry_stub import OUTSIDE, FakeGridDirectory, square
from tests.support.grpc import serving
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/dispatch/storage/alembic"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
JWT = JwtSettings(JWT_SECRET, "gridplus")


@dataclass
class Api:
    stub: dispatch_pb2_grpc.DispatchServiceStub
    sessions: sessionmaker
    router: PetitionRouter
    clock: ManualClock

    def route(self, petition_id: str, grid_code: str, title: str) -> None:
        point = OUTSIDE if grid_code == "outside" else square(grid_code).centre()
        with transaction(self.sessions) as session:
            self.router.route(session, PetitionToRoute(petition_id, title, "", "", point))

    def published(self) -> list[tuple[str, object]]:
        with transaction(self.sessions) as session:
            rows = session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).all()
        return [(row.key, parse_payload(row.ce_type, row.payload)) for row in rows]


def auth(role: Role, subject: str = "staff-1", grids: tuple[str, ...] = ()) -> list:
    token = mint_token(JWT, subject=subject, role=role, grid_codes=grids)
    return [("authorization", f"Bearer {token}")]


ADMIN = auth(Role.ADMIN, "admin-1")


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    clock = ManualClock(T0)
    router = PetitionRouter(
        directory=FakeGridDirectory(),
        outbox=Outbox(
            topic="gridplus.dispatch.events.v1", source="/gridplus/dispatch", clock=clock
        ),
        clock=clock,
    )
    with migrated_store(database_url, MIGRATIONS) as store:
        servicer = DispatchServicer(store.sessions)

        def register(server: grpc.Server) -> None:
            dispatch_pb2_grpc.add_DispatchServiceServicer_to_server(servicer, server)

        with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
            stub = dispatch_pb2_grpc.DispatchServiceStub(channel)
            yield Api(stub, store.sessions, router, clock)


def test_get_assignment_shows_grid_assignee_deadline_and_reasons(api: Api) -> None:
    api.route("p-1", "MN0502", "Water leak in the basement")
    got = api.stub.GetAssignment(
        dispatch_pb2.GetAssignmentRequest(petition_id="p-1"), metadata=ADMIN, timeout=5
    ).assignment
    assert list(got.grid.path) == ["1", "MN05", "MN0502"]
    assert (got.assignee_id, got.category) == ("w-MN0502-1", "water")
    assert got.step == dispatch_pb2.ASSIGNMENT_STEP_VERIFY
    assert got.deadline.ToDatetime(tzinfo=UTC) == T0 + timedelta(hours=4)
    assert got.assigned_at.ToDatetime(tzinfo=UTC) == T0
    assert got.reasons[-1] == "verify step deadline: 4 h for category water"


def test_an_unknown_petition_is_not_found_by_name(api: Api) -> None:
    with pytest.raises(grpc.RpcError) as error:
        api.stub.GetAssignment(
            dispatch_pb2.GetAssignmentRequest(petition_id="p-missing"), metadata=ADMIN, timeout=5
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    assert "p-missing" in error.value.details()  # type: ignore[attr-defined]


def test_residents_and_anonymous_callers_are_refused(api: Api) -> None:
    request = dispatch_pb2.ListAssignmentsRequest()
    with pytest.raises(grpc.RpcError) as resident:
        api.stub.ListAssignments(request, metadata=auth(Role.RESIDENT, "r-1"), timeout=5)
    assert resident.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    with pytest.raises(grpc.RpcError) as anonymous:
        api.stub.ListAssignments(request, timeout=5)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]


def test_list_pages_through_assignments_soonest_deadline_first(api: Api) -> None:
    # Deadlines: water 4 h, parking 8 h, street_light 12 h, noise 24 h, sanitation 24 h.
    for petition_id, title in [
        ("p-noise", "noise"),
        ("p-water", "water leak"),
        ("p-light", "streetlight"),
        ("p-trash", "garbage"),
        ("p-park", "parking"),
    ]:
        api.route(petition_id, "MN0502", title)
    seen: list[str] = []
    token = ""
    while True:
        page = api.stub.ListAssignments(
            dispatch_pb2.ListAssignmentsRequest(page_size=2, page_token=token),
            metadata=ADMIN,
            timeout=5,
        )
        assert len(page.assignments) <= 2
        seen += [a.petition_id for a in page.assignments]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["p-water", "p-park", "p-light", "p-noise", "p-trash"]


def test_list_filters_by_assignee_and_by_grid_subtree(api: Api) -> None:
    api.route("p-1", "MN0502", "noise")  # w-MN0502-1
    api.route("p-2", "MN0502", "noise")  # w-MN0502-2
    api.route("p-3", "MN0503", "noise")  # c-MN0503

    def listed(*, assignee_id: str = "", grid_code: str = "") -> list[str]:
        request = dispatch_pb2.ListAssignmentsRequest(assignee_id=assignee_id, grid_code=grid_code)
        page = api.stub.ListAssignments(request, metadata=ADMIN, timeout=5)
        return sorted(a.petition_id for a in page.assignments)

    assert listed(assignee_id="w-MN0502-2") == ["p-2"]
    assert listed(grid_code="MN0502") == ["p-1", "p-2"]
    assert listed(grid_code="MN05") == ["p-1", "p-2", "p-3"]
    assert listed(grid_code="1", assignee_id="c-MN0503") == ["p-3"]
    assert listed(grid_code="BK01") == []


def test_a_worker_sees_their_grids_and_their_own_only(api: Api) -> None:
    api.route("p-1", "MN0502", "noise")
    api.route("p-2", "MN0503", "noise")
    chief = auth(Role.GRID_CHIEF, "c-MN0503", grids=("MN0503",))
    page = api.stub.ListAssignments(
        dispatch_pb2.ListAssignmentsRequest(), metadata=chief, timeout=5
    )
    assert [a.petition_id for a in page.assignments] == ["p-2"]
    with pytest.raises(grpc.RpcError) as error:
        api.stub.GetAssignment(
            dispatch_pb2.GetAssignmentRequest(petition_id="p-1"), metadata=chief, timeout=5
        )
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]


def test_bad_paging_is_refused_naming_the_field(api: Api) -> None:
    for request in (
        dispatch_pb2.ListAssignmentsRequest(page_size=-1),
        dispatch_pb2.ListAssignmentsRequest(page_token="not-a-token"),
    ):
        with pytest.raises(grpc.RpcError) as error:
            api.stub.ListAssignments(request, metadata=ADMIN, timeout=5)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]


def test_a_page_token_only_continues_its_own_query(api: Api) -> None:
    for number in range(3):
        api.route(f"p-{number}", "MN0502", "noise")
    first = api.stub.ListAssignments(
        dispatch_pb2.ListAssignmentsRequest(page_size=1), metadata=ADMIN, timeout=5
    )
    with pytest.raises(grpc.RpcError) as error:
        api.stub.ListAssignments(
            dispatch_pb2.ListAssignmentsRequest(
                page_size=1, grid_code="MN0502", page_token=first.next_page_token
            ),
            metadata=ADMIN,
            timeout=5,
        )
    assert "page_token" in error.value.details()  # type: ignore[attr-defined]


def test_routing_a_petition_twice_stores_and_publishes_once(api: Api) -> None:
    api.route("p-1", "MN0502", "noise")
    api.clock.advance(timedelta(minutes=5))
    api.route("p-1", "MN0502", "noise")
    published = api.published()
    assert [key for key, _ in published] == ["p-1"]
    assert isinstance(published[0][1], events_pb2.PetitionAssigned)


def test_a_failed_routing_stores_no_assignment(api: Api) -> None:
    api.route("p-out", "outside", "noise")
    [(key, event)] = api.published()
    assert key == "p-out"
    assert isinstance(event, events_pb2.PetitionRoutingFailed)
    assert event.reason_code == "OUT_OF_JURISDICTION"
    with pytest.raises(grpc.RpcError) as error:
        api.stub.GetAssignment(
            dispatch_pb2.GetAssignmentRequest(petition_id="p-out"), metadata=ADMIN, timeout=5
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]


def test_metrics_count_what_was_committed(api: Api) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    assigned = (
        "gridplus_dispatch_assignments_total",
        {"grid_level1": "1", "assignee_role": "grid_chief"},
    )
    failed = ("gridplus_dispatch_routing_failures_total", {"reason_code": "NO_ASSIGNEE"})
    timed = ("gridplus_dispatch_routing_seconds_count", {"outcome": "assigned"})
    before = [sample(name, **labels) for name, labels in (assigned, failed, timed)]
    api.route("p-1", "MN0503", "noise")
    api.route("p-2", "BK0101", "noise")
    with pytest.raises(RuntimeError), transaction(api.sessions) as session:
        api.router.route(
            session, PetitionToRoute("p-3", "noise", "", "", square("MN0503").centre())
        )
        raise RuntimeError("the unit of work fails after routing: nothing happened")
    after = [sample(name, **labels) for name, labels in (assigned, failed, timed)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
