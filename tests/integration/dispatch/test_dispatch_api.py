"""DispatchService over real gRPC with JWT auth, on assignments the router stored, on SQLite and
PostgreSQL. The grid registry is the in-memory fake: these tests are about what staff read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

import grpc
import pytest
from prometheus_client import REGISTRY

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.domain.escalation import DEFAULT_LADDER, parse_ladder
from gridplus.dispatch.handlers.routing import PetitionToRoute
from gridplus.dispatch.jobs.deadlines import DeadlineScanner
from gridplus.dispatch.storage import assignments
from gridplus.kit.auth import Role
from gridplus.kit.db import transaction
from gridplus.kit.outbox import Outbox
from tests.integration.dispatch.api_harness import NOISE, T0, Api, auth, dispatch_api
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory, square

pytestmark = pytest.mark.integration

ADMIN = auth(Role.ADMIN, "admin-1")


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with dispatch_api(database_url, FakeGridDirectory()) as running:
        yield running


def test_get_assignment_shows_grid_assignee_deadline_and_reasons(api: Api) -> None:
    api.route("p-1", "MN0502", "nyc.street_condition")  # grid-registry: high, 2 h
    got = api.stub.GetAssignment(
        dispatch_pb2.GetAssignmentRequest(petition_id="p-1"), metadata=ADMIN, timeout=5
    ).assignment
    assert list(got.grid.path) == ["1", "MN05", "MN0502"]
    assert (got.assignee_id, got.category) == ("w-MN0502-1", "nyc.street_condition")
    assert (got.category_name_en, got.category_source) == ("Street Condition", "given")
    assert got.step == dispatch_pb2.ASSIGNMENT_STEP_VERIFY
    assert got.deadline.ToDatetime(tzinfo=UTC) == T0 + timedelta(hours=2)
    assert got.yellow_at.ToDatetime(tzinfo=UTC) == T0 + timedelta(hours=1, minutes=30)
    assert got.light == dispatch_pb2.LIGHT_GREEN
    assert got.assigned_at.ToDatetime(tzinfo=UTC) == T0
    assert got.reasons[-1] == (
        "verify step deadline 2026-11-27T11:00:00+00:00: 2 h of wall-clock time "
        "for category nyc.street_condition (priority high)"
    )
    api.clock.advance(timedelta(hours=2))
    again = api.stub.GetAssignment(
        dispatch_pb2.GetAssignmentRequest(petition_id="p-1"), metadata=ADMIN, timeout=5
    ).assignment
    assert again.light == dispatch_pb2.LIGHT_RED


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
    # Verify limits: signal 1 h, water 4 h, noise and dirt 24 h, transport 24 working hours.
    for petition_id, category in [
        ("p-noise", NOISE),
        ("p-water", "nyc.water_system"),
        ("p-bus", "transport"),
        ("p-trash", "nyc.dirty_conditions"),
        ("p-signal", "nyc.traffic_signal_condition"),
    ]:
        api.route(petition_id, "MN0502", category)
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
    assert seen == ["p-signal", "p-water", "p-noise", "p-trash", "p-bus"]


def test_list_filters_by_assignee_and_by_grid_subtree(api: Api) -> None:
    api.route("p-1", "MN0502")  # w-MN0502-1
    api.route("p-2", "MN0502")  # w-MN0502-2
    api.route("p-3", "MN0503")  # c-MN0503

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
    api.route("p-1", "MN0502")
    api.route("p-2", "MN0503")
    chief = auth(Role.GRID_CHIEF, "c-MN0503", grids=("MN0503",))
    page = api.stub.ListAssignments(
        dispatch_pb2.ListAssignmentsRequest(), metadata=chief, timeout=5
    )
    assert [a.petition_id for a in page.assignments] == ["p-2"]
    with pytest.raises(grpc.RpcError) as error:
        api.stub.GetAssignment(
            dispatch_pb2.GetAssignmentRequest(petition_id="p-1"), metadata=chief, timeout=5
        )
    # Outside the caller's scope reads as missing: the same answer as for no assignment.
    assert error.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    assert error.value.details() == "petition p-1 has no assignment"  # type: ignore[attr-defined]


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
        api.route(f"p-{number}", "MN0502")
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
    api.route("p-1", "MN0502")
    api.clock.advance(timedelta(minutes=5))
    api.route("p-1", "MN0502")
    published = api.published()
    assert [key for key, _ in published] == ["p-1"]
    assert isinstance(published[0][1], events_pb2.PetitionAssigned)


def test_a_failed_routing_stores_no_assignment(api: Api) -> None:
    api.route("p-out", "outside")
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
    api.route("p-1", "MN0503")
    api.route("p-2", "BK0101")  # nobody there, nor in BK01
    with pytest.raises(RuntimeError), transaction(api.sessions) as session:
        api.router.route(session, PetitionToRoute("p-3", "", "", NOISE, square("MN0503").centre()))
        raise RuntimeError("the unit of work fails after routing: nothing happened")
    after = [sample(name, **labels) for name, labels in (assigned, failed, timed)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


def test_an_unsure_petition_waits_in_triage_until_a_chief_chooses_its_category(api: Api) -> None:
    api.route("p-1", "MN0502", category="")
    [(_, sent)] = api.published()
    assert isinstance(sent, events_pb2.PetitionSentToTriage)
    assert sent.best_guess.code == "nyc.noise_residential"
    assert sent.best_guess.confidence == pytest.approx(0.2)
    chief = auth(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
    queue = api.stub.ListTriage(dispatch_pb2.ListTriageRequest(), metadata=chief, timeout=5)
    assert [item.petition_id for item in queue.items] == ["p-1"]
    assert queue.items[0].grid.code == "MN0502"
    with pytest.raises(grpc.RpcError) as worker:
        api.stub.ListTriage(
            dispatch_pb2.ListTriageRequest(), metadata=auth(Role.GRID_WORKER, "w-1"), timeout=5
        )
    assert worker.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    with pytest.raises(grpc.RpcError) as unknown:
        api.stub.SetTriageCategory(
            dispatch_pb2.SetTriageCategoryRequest(petition_id="p-1", category_code="nope"),
            metadata=chief,
            timeout=5,
        )
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]

    got = api.stub.SetTriageCategory(
        dispatch_pb2.SetTriageCategoryRequest(petition_id="p-1", category_code="transport"),
        metadata=chief,
        timeout=5,
    ).assignment
    assert (got.category, got.category_source, got.category_name_zh) == (
        "transport",
        "triage",
        "交通运输",
    )
    assert got.department_code == "dep-env"
    assert "category transport chosen in triage by c-MN0502" in got.reasons
    assert isinstance(api.published()[-1][1], events_pb2.PetitionAssigned)
    empty = api.stub.ListTriage(dispatch_pb2.ListTriageRequest(), metadata=chief, timeout=5)
    assert list(empty.items) == []
    with pytest.raises(grpc.RpcError) as again:
        api.stub.SetTriageCategory(
            dispatch_pb2.SetTriageCategoryRequest(petition_id="p-1", category_code="transport"),
            metadata=chief,
            timeout=5,
        )
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # type: ignore[attr-defined]


def test_list_overdue_filters_by_grid_subtree_and_department(api: Api) -> None:
    # Verify limits as grid-registry's seed states them.
    api.route("p-signal", "MN0502", "nyc.traffic_signal_condition")  # urgent: 30 min
    api.route("p-water", "MN0503", "nyc.water_system")  # urgent: 30 min
    api.route("p-noise", "MN0502")  # high: 2 h
    api.clock.advance(timedelta(hours=1))

    def overdue(**filters: str) -> list[str]:
        request = dispatch_pb2.ListOverdueRequest(**filters)
        page = api.stub.ListOverdue(request, metadata=ADMIN, timeout=5)
        assert all(a.light == dispatch_pb2.LIGHT_RED for a in page.assignments)
        return [a.petition_id for a in page.assignments]

    assert overdue() == ["p-signal", "p-water"]  # most overdue first (a tie: by petition id)
    assert overdue(grid_code="MN0503") == ["p-water"]
    assert overdue(grid_code="MN05", department_code="dep-env") == ["p-signal", "p-water"]
    assert overdue(department_code="dep-other") == []


def test_a_paused_clock_keeps_its_time_left(api: Api) -> None:
    api.route("p-1", "MN0502", "nyc.street_condition")  # 2 h
    worker = auth(Role.GRID_WORKER, "w-MN0502-1", grids=("MN0502",))
    api.clock.advance(timedelta(hours=1))
    paused = api.stub.PauseClock(
        dispatch_pb2.PauseClockRequest(petition_id="p-1", reason="resident away"),
        metadata=worker,
        timeout=5,
    ).assignment
    assert paused.paused
    api.clock.advance(timedelta(days=2))
    resumed = api.stub.ResumeClock(
        dispatch_pb2.ResumeClockRequest(petition_id="p-1"), metadata=worker, timeout=5
    ).assignment
    assert not resumed.paused
    assert resumed.deadline.ToDatetime(tzinfo=UTC) == api.clock.now() + timedelta(hours=1)
    with pytest.raises(grpc.RpcError) as twice:
        api.stub.ResumeClock(
            dispatch_pb2.ResumeClockRequest(petition_id="p-1"), metadata=worker, timeout=5
        )
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # type: ignore[attr-defined]


def test_transfer_and_refusal_change_the_handler_never_the_clock(api: Api) -> None:
    api.route("p-1", "MN0502", "nyc.street_condition")  # w-MN0502-1, dep-env, 2 h
    deadline = T0 + timedelta(hours=2)
    worker = auth(Role.GRID_WORKER, "w-MN0502-1", grids=("MN0502",))
    accepted = api.stub.AcceptAssignment(
        dispatch_pb2.AcceptAssignmentRequest(petition_id="p-1"), metadata=worker, timeout=5
    ).assignment
    assert accepted.accepted_at.ToDatetime(tzinfo=UTC) == T0
    api.clock.advance(timedelta(hours=1))
    moved = api.stub.TransferAssignment(
        dispatch_pb2.TransferAssignmentRequest(
            petition_id="p-1", to_assignee_id="w-MN0502-2", reason="on leave"
        ),
        metadata=worker,
        timeout=5,
    ).assignment
    assert (moved.assignee_id, moved.department_code) == ("w-MN0502-2", "dep-env")
    assert moved.deadline.ToDatetime(tzinfo=UTC) == deadline
    assert not moved.HasField("accepted_at")

    staff = auth(Role.DEPARTMENT_STAFF, "s-env", department="dep-env")
    first = api.stub.RefuseAssignment(
        dispatch_pb2.RefuseAssignmentRequest(petition_id="p-1", reason="not ours: water utility"),
        metadata=staff,
        timeout=5,
    )
    assert first.arbitrator_id == ""
    assert (first.assignment.refusals, first.assignment.department_code) == (1, "")
    assert first.assignment.deadline.ToDatetime(tzinfo=UTC) == deadline
    with pytest.raises(grpc.RpcError) as not_theirs:
        api.stub.RefuseAssignment(
            dispatch_pb2.RefuseAssignmentRequest(petition_id="p-1", reason="again"),
            metadata=staff,
            timeout=5,
        )
    # Refused, it is no longer the department's: out of its scope.
    assert not_theirs.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]

    chief = auth(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
    api.stub.TransferAssignment(
        dispatch_pb2.TransferAssignmentRequest(
            petition_id="p-1", to_department_code="dep-env", reason="it is a sewer, yours"
        ),
        metadata=chief,
        timeout=5,
    )
    second = api.stub.RefuseAssignment(
        dispatch_pb2.RefuseAssignmentRequest(petition_id="p-1", reason="still not ours"),
        metadata=staff,
        timeout=5,
    )
    assert second.arbitrator_id == "c-MN0502"  # a repeated refusal goes to the grid chief
    assert second.assignment.refusals == 2
    assert second.assignment.deadline.ToDatetime(tzinfo=UTC) == deadline
    refused = [e for _, e in api.published() if isinstance(e, events_pb2.AssignmentRefused)]
    assert [(e.refusal_count, e.arbitrator_id) for e in refused] == [(1, ""), (2, "c-MN0502")]
    transferred = [e for _, e in api.published() if isinstance(e, events_pb2.AssignmentTransferred)]
    first_move = transferred[0]
    assert (first_move.from_assignee_id, first_move.to_assignee_id) == ("w-MN0502-1", "w-MN0502-2")
    assert REGISTRY.get_sample_value("gridplus_dispatch_refusals_total", {"department": "dep-env"})


def test_a_whistle_summons_departments_and_a_late_report_lights_red(api: Api) -> None:
    api.route("p-1", "MN0502")
    chief = auth(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
    whistle = api.stub.BlowWhistle(
        dispatch_pb2.BlowWhistleRequest(
            petition_id="p-1", department_codes=["dep-env", "dep-police"], reason="blocked road"
        ),
        metadata=chief,
        timeout=5,
    ).whistle
    assert [r.department_code for r in whistle.reports] == ["dep-env", "dep-police"]
    assert all(
        r.deadline.ToDatetime(tzinfo=UTC) == T0 + timedelta(minutes=30) for r in whistle.reports
    )
    staff = auth(Role.DEPARTMENT_STAFF, "s-env", department="dep-env")
    api.clock.advance(timedelta(minutes=10))
    reported = api.stub.ReportToWhistle(
        dispatch_pb2.ReportToWhistleRequest(whistle_id=whistle.whistle_id, note="on our way"),
        metadata=staff,
        timeout=5,
    )
    assert reported.on_time
    stranger = auth(Role.DEPARTMENT_STAFF, "s-x", department="dep-roads")
    with pytest.raises(grpc.RpcError) as not_summoned:
        api.stub.ReportToWhistle(
            dispatch_pb2.ReportToWhistleRequest(whistle_id=whistle.whistle_id),
            metadata=stranger,
            timeout=5,
        )
    assert not_summoned.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]

    api.clock.advance(timedelta(minutes=25))  # police have not reported: late
    scanner = DeadlineScanner(
        sessions=api.sessions,
        outbox=Outbox(
            topic="gridplus.dispatch.events.v1", source="/gridplus/dispatch", clock=api.clock
        ),
        clock=api.clock,
        directory=FakeGridDirectory(),
        ladder=parse_ladder(DEFAULT_LADDER),
    )
    scanner.tick()
    scanner.tick()  # once per late report
    late = [e for _, e in api.published() if isinstance(e, events_pb2.WhistleReportOverdue)]
    assert [e.department_code for e in late] == ["dep-police"]
    scanner.refresh_lights()
    owed = REGISTRY.get_sample_value(
        "gridplus_dispatch_open_whistle_reports", {"light": "red", "department": "dep-police"}
    )
    assert owed == 1
    police = auth(Role.DEPARTMENT_HEAD, "h-police", department="dep-police")
    late_report = api.stub.ReportToWhistle(
        dispatch_pb2.ReportToWhistleRequest(whistle_id=whistle.whistle_id, note="sorry"),
        metadata=police,
        timeout=5,
    )
    assert not late_report.on_time
    assert [r.light for r in late_report.whistle.reports] == [
        dispatch_pb2.LIGHT_GREEN,
        dispatch_pb2.LIGHT_RED,
    ]


def test_a_department_watches_its_assignments_change_and_resumes_where_it_stopped(
    api: Api,
) -> None:
    api.route("p-1", "MN0502")
    api.route("p-2", "MN0503")
    staff = auth(Role.DEPARTMENT_STAFF, "s-env", department="dep-env")
    stream = api.stub.WatchAssignments(
        dispatch_pb2.WatchAssignmentsRequest(after_change_id=1), metadata=staff, timeout=20
    )
    first = next(stream)
    assert (first.change_id, first.assignment.petition_id, first.closed) == (2, "p-2", False)
    with transaction(api.sessions) as session:  # p-1 resolved: its assignment closes
        closing = assignments.get(session, petition_id="p-1")
        assert closing is not None and closing.close()
        assignments.save(session, closing)
    closed = next(stream)
    assert (closed.assignment.petition_id, closed.closed) == ("p-1", True)
    stream.cancel()
    with pytest.raises(grpc.RpcError) as other:
        next(
            api.stub.WatchAssignments(
                dispatch_pb2.WatchAssignmentsRequest(department_code="dep-police"),
                metadata=staff,
                timeout=5,
            )
        )
    assert other.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
