"""Done means (issue 12): every mutating DispatchService RPC takes a `request_id` and is applied
once. Called twice with one id it has one effect (one whistle, one refusal counted, one
transfer ...) and answers the second call with the first answer; a third call with the same id
and another body is refused with INVALID_ARGUMENT naming `request_id`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.dispatch.v1 import dispatch_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.storage import assignments
from gridplus.kit.auth import Role
from gridplus.kit.db import transaction
from tests.integration.dispatch.api_harness import Api, auth, dispatch_api
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory

pytestmark = pytest.mark.integration

WORKER = auth(Role.GRID_WORKER, "w-MN0502-1", grids=("MN0502",))
CHIEF = auth(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
ENV_STAFF = auth(Role.DEPARTMENT_STAFF, "s-env", department="dep-env")
POLICE_STAFF = auth(Role.DEPARTMENT_STAFF, "s-police", department="dep-police")


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with dispatch_api(database_url, FakeGridDirectory()) as running:
        running.route("p-1", "MN0502", "nyc.water_system")  # w-MN0502-1, dep-env
        yield running


def count(api: Api, event_type: type[Message]) -> int:
    return sum(isinstance(message, event_type) for _, message in api.published())


def refused_fields(call: Callable[[], object]) -> list[str]:
    with pytest.raises(grpc.RpcError) as refused:
        call()
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    return [v.field for v in bad.field_violations]


def twice_then_another_body(
    api: Api, call: Callable[[Message], Message], request: Message, other: Message
) -> Message:
    """`request` twice (the clock moves between them: a second application would show), then
    `other` under the same request id; returns the first answer."""
    first = call(request)
    api.clock.advance(timedelta(minutes=1))
    assert call(request) == first
    assert refused_fields(lambda: call(other)) == ["request_id"]
    return first


def test_pause_clock(api: Api) -> None:
    def pause(request: Message) -> Message:
        return api.stub.PauseClock(request, metadata=WORKER, timeout=5)

    first = twice_then_another_body(
        api,
        pause,
        pb.PauseClockRequest(petition_id="p-1", reason="resident away", request_id="r-1"),
        pb.PauseClockRequest(petition_id="p-1", reason="other", request_id="r-1"),
    )
    assert first.assignment.paused  # type: ignore[attr-defined]
    assert count(api, events_pb2.PetitionDeadlineChanged) == 1


def test_resume_clock(api: Api) -> None:
    api.stub.PauseClock(pb.PauseClockRequest(petition_id="p-1"), metadata=WORKER, timeout=5)

    def resume(request: Message) -> Message:
        return api.stub.ResumeClock(request, metadata=WORKER, timeout=5)

    first = twice_then_another_body(
        api,
        resume,
        pb.ResumeClockRequest(petition_id="p-1", request_id="r-2"),
        pb.ResumeClockRequest(petition_id="p-2", request_id="r-2"),
    )
    assert not first.assignment.paused  # type: ignore[attr-defined]
    assert count(api, events_pb2.PetitionDeadlineChanged) == 2  # one pause, one resume


def test_set_triage_category(api: Api) -> None:
    api.route("p-t", "MN0502", category="")  # the classifier is never sure: triage

    def choose(request: Message) -> Message:
        return api.stub.SetTriageCategory(request, metadata=CHIEF, timeout=5)

    first = twice_then_another_body(
        api,
        choose,
        pb.SetTriageCategoryRequest(petition_id="p-t", category_code="transport", request_id="t"),
        pb.SetTriageCategoryRequest(petition_id="p-t", category_code="other", request_id="t"),
    )
    assert first.assignment.category == "transport"  # type: ignore[attr-defined]
    assert count(api, events_pb2.PetitionAssigned) == 2  # p-1 routed, p-t out of triage once


def test_accept_assignment(api: Api) -> None:
    def accept(request: Message) -> Message:
        return api.stub.AcceptAssignment(request, metadata=WORKER, timeout=5)

    twice_then_another_body(
        api,
        accept,
        pb.AcceptAssignmentRequest(petition_id="p-1", request_id="a-1"),
        pb.AcceptAssignmentRequest(petition_id="p-2", request_id="a-1"),
    )
    with transaction(api.sessions) as session:
        found = assignments.get(session, petition_id="p-1")
    assert found is not None
    assert sum(reason.startswith("accepted by") for reason in found.reasons) == 1


def test_transfer_assignment(api: Api) -> None:
    def transfer(request: Message) -> Message:
        return api.stub.TransferAssignment(request, metadata=ENV_STAFF, timeout=5)

    first = twice_then_another_body(
        api,
        transfer,
        # dep-env moves it out to dep-police, and then no longer sees it: the retry is still
        # answered (the stored answer is looked for first).
        pb.TransferAssignmentRequest(
            petition_id="p-1", to_department_code="dep-police", reason="police", request_id="x"
        ),
        pb.TransferAssignmentRequest(
            petition_id="p-1", to_department_code="dep-roads", reason="roads", request_id="x"
        ),
    )
    assert first.assignment.department_code == "dep-police"  # type: ignore[attr-defined]
    assert count(api, events_pb2.AssignmentTransferred) == 1


def test_refuse_assignment(api: Api) -> None:
    def refuse(request: Message) -> Message:
        return api.stub.RefuseAssignment(request, metadata=ENV_STAFF, timeout=5)

    first = twice_then_another_body(
        api,
        refuse,
        pb.RefuseAssignmentRequest(petition_id="p-1", reason="not ours", request_id="no-1"),
        pb.RefuseAssignmentRequest(petition_id="p-1", reason="not ours!", request_id="no-1"),
    )
    assert first.assignment.refusals == 1  # type: ignore[attr-defined]
    assert count(api, events_pb2.AssignmentRefused) == 1
    with transaction(api.sessions) as session:
        found = assignments.get(session, petition_id="p-1")
    assert found is not None and found.refusals == 1


def test_blow_whistle(api: Api) -> None:
    def blow(request: Message) -> Message:
        return api.stub.BlowWhistle(request, metadata=CHIEF, timeout=5)

    first = twice_then_another_body(
        api,
        blow,
        pb.BlowWhistleRequest(
            petition_id="p-1", department_codes=["dep-police"], reason="blocked", request_id="w"
        ),
        pb.BlowWhistleRequest(
            petition_id="p-1", department_codes=["dep-roads"], reason="blocked", request_id="w"
        ),
    )
    assert first.whistle.whistle_id  # type: ignore[attr-defined]
    assert count(api, events_pb2.WhistleBlown) == 1


def test_report_to_whistle(api: Api) -> None:
    whistle = api.stub.BlowWhistle(
        pb.BlowWhistleRequest(petition_id="p-1", department_codes=["dep-police"], reason="b"),
        metadata=CHIEF,
        timeout=5,
    ).whistle

    def report(request: Message) -> Message:
        return api.stub.ReportToWhistle(request, metadata=POLICE_STAFF, timeout=5)

    first = twice_then_another_body(
        api,
        report,
        pb.ReportToWhistleRequest(whistle_id=whistle.whistle_id, note="here", request_id="h"),
        pb.ReportToWhistleRequest(whistle_id=whistle.whistle_id, note="there", request_id="h"),
    )
    assert first.on_time  # type: ignore[attr-defined]
    assert count(api, events_pb2.WhistleReported) == 1


def test_one_request_id_of_two_callers_is_two_requests(api: Api) -> None:
    """Ids are the caller's own: another caller's same id is a request of its own."""
    request = pb.AcceptAssignmentRequest(petition_id="p-1", request_id="same")
    api.stub.AcceptAssignment(request, metadata=WORKER, timeout=5)
    again = api.stub.AcceptAssignment(request, metadata=ENV_STAFF, timeout=5)
    assert again.assignment.accepted_at.ToDatetime() is not None


def test_a_request_id_that_is_not_one_line_is_refused(api: Api) -> None:
    request = pb.AcceptAssignmentRequest(petition_id="p-1", request_id="a\nb")
    fields = refused_fields(lambda: api.stub.AcceptAssignment(request, metadata=WORKER, timeout=5))
    assert fields == ["request_id"]


def test_retries_racing_each_other_blow_one_whistle(api: Api) -> None:
    """Two copies of one BlowWhistle at once (a client retrying before the first answer came
    back): one whistle, and both get its answer."""
    request = pb.BlowWhistleRequest(
        petition_id="p-1", department_codes=["dep-police"], reason="blocked", request_id="race"
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda _: api.stub.BlowWhistle(request, metadata=CHIEF, timeout=10), range(4))
        )
    assert len({answer.whistle.whistle_id for answer in answers}) == 1
    assert count(api, events_pb2.WhistleBlown) == 1
