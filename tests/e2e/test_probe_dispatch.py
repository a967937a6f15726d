"""Issue 18, hole 1, as the outside probe ran it against the running platform: a resident reports
street litter in Park Slope (grid BK0602, DSNY's by the seed's responsibility rules); an NYPD
staff token tries to transfer it to NYPD and to a Midtown grid worker, to pause and resume its
clock; NYPD, DOT and a department token without the claim list assignments. Every attempt
answers NOT_FOUND or an empty page, nothing changes, and the Midtown worker still gets NOT_FOUND
on the petition from the petition service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
import requests

from gridplus.api.dispatch.v1 import dispatch_pb2 as pb
from gridplus.api.dispatch.v1 import dispatch_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from tests.e2e.client import channel, grpc_metadata, submit, wait_for_status
from tests.support.eventually import eventually
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

PARK_SLOPE = {"lat": 40.673061, "lon": -73.977659}  # NTA BK0602
LITTER = "nyc.dirty_conditions"  # DSNY's in grid-registry's seed
OUTSIDE_WORKER = "w-MN0502-1"  # the dev grid worker token: grid MN0502 only
EVENTS_TIMEOUT = 20.0

Metadata = list[tuple[str, str]]


def department_token(stack: LocalStack, subject: str, department: str | None) -> Metadata:
    jwt = JwtSettings(stack.credentials["jwt_secret"], "gridplus")
    token = mint_token(jwt, subject=subject, role=Role.DEPARTMENT_STAFF, department=department)
    return [("authorization", f"Bearer {token}")]


def status_of(call: Callable[..., Any], request: object, metadata: Metadata) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as error:
        call(request, metadata=metadata, timeout=5)
    return error.value.code()  # type: ignore[attr-defined, no-any-return]


def reported_litter(stack: LocalStack) -> str:
    body = {
        "title": "Overflowing litter basket",
        "description": "Trash all over the corner. Call me on 212 555 0101",
        "category": LITTER,
        "contact": {"name": "Ana Ruiz", "phone": "+1-212-555-0101", "email": "ana@example.org"},
        **PARK_SLOPE,
    }
    petition_id = submit(stack, body)
    petition = wait_for_status(stack, petition_id, "ASSIGNED", timeout=EVENTS_TIMEOUT)
    assert petition["grid"]["code"] == "BK0602"
    return petition_id


def worker_cannot_read(stack: LocalStack, petition_id: str) -> None:
    """The Midtown worker gets NOT_FOUND from petition, over gRPC and HTTP alike."""
    worker = grpc_metadata(stack, Role.GRID_WORKER)
    petitions = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    request = petition_pb2.GetPetitionRequest(id=petition_id)
    assert status_of(petitions.GetPetition, request, worker) == grpc.StatusCode.NOT_FOUND
    response = requests.get(
        f"{stack.http_url}/api/v1/petitions/{petition_id}",
        headers={"Authorization": f"Bearer {stack.token(Role.GRID_WORKER)}"},
        timeout=10,
    )
    assert response.status_code == 404, response.text


def unchanged(before: pb.Assignment, after: pb.Assignment) -> bool:
    keep = ("assignee_id", "assignee_role", "department_code", "deadline", "paused", "reasons")
    return all(getattr(before, name) == getattr(after, name) for name in keep)


def test_a_department_token_cannot_move_or_see_another_departments_petition(
    stack: LocalStack,
) -> None:
    petition_id = reported_litter(stack)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    admin = grpc_metadata(stack, Role.ADMIN)
    get = pb.GetAssignmentRequest(petition_id=petition_id)
    before = dispatch.GetAssignment(get, metadata=admin, timeout=5).assignment
    assert before.department_code == "DSNY"
    assert before.assignee_id.startswith("w-BK0602-")
    worker_cannot_read(stack, petition_id)

    nypd = department_token(stack, "s-nypd-probe", "NYPD")
    probe = pb.TransferAssignmentRequest(
        petition_id=petition_id,
        to_department_code="NYPD",
        to_assignee_id=OUTSIDE_WORKER,
        reason="probe",
    )
    assert status_of(dispatch.TransferAssignment, probe, nypd) == grpc.StatusCode.NOT_FOUND
    pause = pb.PauseClockRequest(petition_id=petition_id, reason="probe")
    assert status_of(dispatch.PauseClock, pause, nypd) == grpc.StatusCode.NOT_FOUND
    resume = pb.ResumeClockRequest(petition_id=petition_id)
    assert status_of(dispatch.ResumeClock, resume, nypd) == grpc.StatusCode.NOT_FOUND
    assert status_of(dispatch.GetAssignment, get, nypd) == grpc.StatusCode.NOT_FOUND
    assert unchanged(before, dispatch.GetAssignment(get, metadata=admin, timeout=5).assignment)

    # A later, rightful change by DSNY travels the same ordered events: once petition shows it,
    # the refused transfer would have shown before it. The Midtown worker still cannot read it.
    dsny = department_token(stack, "s-dsny-probe", "DSNY")
    other = "w-BK0602-2" if before.assignee_id == "w-BK0602-1" else "w-BK0602-1"
    move = pb.TransferAssignmentRequest(
        petition_id=petition_id, to_assignee_id=other, reason="nearer to the corner"
    )
    assert dispatch.TransferAssignment(move, metadata=dsny, timeout=5).assignment.assignee_id == (
        other
    )
    petitions = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    eventually(
        lambda: (
            petitions.GetPetition(
                petition_pb2.GetPetitionRequest(id=petition_id), metadata=admin, timeout=5
            ).petition.assignee_id
            == other
        ),
        "petition shows DSNY's transfer",
        timeout=EVENTS_TIMEOUT,
    )
    worker_cannot_read(stack, petition_id)


@pytest.mark.parametrize(
    ("department", "subject"), [("NYPD", "s-nypd-list"), ("DOT", "s-dot-list"), (None, "")]
)
def test_department_lists_hold_only_the_departments_own_rows(
    stack: LocalStack, department: str | None, subject: str
) -> None:
    petition_id = reported_litter(stack)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    # None: a department token without its department claim (make run's dev tokens carry DOT
    # since issue 17).
    caller = department_token(stack, subject or "s-no-claim", department)
    listed = dispatch.ListAssignments(
        pb.ListAssignmentsRequest(page_size=100), metadata=caller, timeout=5
    ).assignments
    late = dispatch.ListOverdue(
        pb.ListOverdueRequest(page_size=100, department_code="DSNY"), metadata=caller, timeout=5
    ).assignments
    get = pb.GetAssignmentRequest(petition_id=petition_id)
    assert dispatch.GetAssignment(get, metadata=grpc_metadata(stack), timeout=5).assignment
    assert petition_id not in {a.petition_id for a in listed}
    assert {a.department_code for a in listed} <= ({department} if department else set())
    assert list(late) == []
    if department is None:
        assert list(listed) == []
