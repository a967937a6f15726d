"""The world the authorization matrix is driven in: real petitions in the demo city, callers of
every role with real tokens (one inside the target's scope, one outside), and what the probes
need (a whistle, a bulletin, a webhook subscription, petitions in each state)."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import requests
from PIL import Image

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2 as di
from gridplus.api.dispatch.v1 import dispatch_pb2_grpc
from gridplus.api.evaluation.v1 import evaluation_pb2 as ev
from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.api.grid.v1 import grid_pb2 as gr
from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.api.notification.v1 import notification_pb2 as no
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2 as pe
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import mint_token
from gridplus.kit.config import JwtSettings
from gridplus.kit.roles import Role
from tools.stack import LocalStack

TIMES_SQUARE = (40.758, -73.9855)  # MN0502, Midtown-Times Square
CROWN_HEIGHTS = (40.6690, -73.9420)  # a Brooklyn NTA, another borough
CATEGORY = "nyc.sewer"  # DEP's; the e2e stack turns it red 2 s after assignment

# Petitions the probes need, each for one purpose, so one probe's change does not spoil another's.
PURPOSES = (
    "main", "verify", "reject", "merge", "resolve", "reopen", "publication", "accept",
    "clock", "transfer", "refuse", "refuse_head", "whistle", "rate_grpc", "rate_http",
    "visit", "accept_chief",
)  # fmt: skip
# The resident's own: the main petition (read, photo), and those whose follow-up they rate or read.
REPORTED_BY_RESIDENT = ("main", "rate_grpc", "rate_http", "visit")
RESOLVED = ("reopen", "rate_grpc", "rate_http", "visit")  # verified and resolved by an admin
VERIFIED = ("resolve",)


@dataclass(frozen=True)
class Caller:
    role: Role
    subject: str
    token: str
    inside: bool  # whether the target petition lies in this caller's scope

    @property
    def metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token}")]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Stubs:
    grid: grid_pb2_grpc.GridRegistryServiceStub
    petition: petition_pb2_grpc.PetitionServiceStub
    dispatch: dispatch_pb2_grpc.DispatchServiceStub
    notification: notification_pb2_grpc.NotificationServiceStub
    evaluation: evaluation_pb2_grpc.EvaluationServiceStub


@dataclass
class World:
    stack: LocalStack
    stubs: Stubs
    jwt: JwtSettings
    http: str
    grid: str = ""  # the target's level-3 grid
    other_grid: str = ""  # a level-3 grid in another borough
    department: str = ""  # the department holding the target petitions
    other_department: str = ""
    assignee: str = ""  # the grid worker the main petition is assigned to
    petitions: dict[str, str] = field(default_factory=dict)
    assignees: dict[str, str] = field(default_factory=dict)  # purpose -> assignee
    reported: dict[str, str] = field(default_factory=dict)  # subject -> a petition they reported
    whistle_id: str = ""
    bulletin_id: str = ""  # sent by the inside grid chief
    callers: dict[tuple[Role, bool], Caller] = field(default_factory=dict)
    # household, member, visit, worker: the VisitService target (tests/support/authz_visits.py)
    visit_ids: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.petitions["main"]

    def token(
        self, role: Role, subject: str, grids: tuple[str, ...] = (), department: str = ""
    ) -> str:
        return mint_token(
            self.jwt, subject=subject, role=role, grid_codes=grids, department=department or None
        )

    def caller(self, role: Role, inside: bool = True) -> Caller:
        return self.callers[(role, inside)]

    def as_subject(self, caller: Caller, subject: str) -> Caller:
        """The caller with another subject and the same scope claims (a grid worker who is the
        assignee of a given petition)."""
        grids = (self.grid,) if caller.inside else (self.other_grid,)
        token = self.token(caller.role, subject, grids)
        return Caller(caller.role, subject, token, caller.inside)

    @property
    def admin(self) -> Caller:
        return self.caller(Role.ADMIN)


def stubs_for(stack: LocalStack) -> Stubs:
    def channel(package: str) -> grpc.Channel:
        return grpc.insecure_channel(f"127.0.0.1:{stack.ports.grpc[package]}")

    return Stubs(
        grid_pb2_grpc.GridRegistryServiceStub(channel("grid_registry")),
        petition_pb2_grpc.PetitionServiceStub(channel("petition")),
        dispatch_pb2_grpc.DispatchServiceStub(channel("dispatch")),
        notification_pb2_grpc.NotificationServiceStub(channel("notification")),
        evaluation_pb2_grpc.EvaluationServiceStub(channel("evaluation")),
    )


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 60, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def request_id() -> str:
    return str(uuid.uuid4())


def build(stack: LocalStack) -> World:
    world = World(
        stack,
        stubs_for(stack),
        JwtSettings(stack.credentials["jwt_secret"], "gridplus"),
        stack.http_url,
    )
    admin_token = world.token(Role.ADMIN, "admin-authz")
    world.callers[(Role.ADMIN, True)] = Caller(Role.ADMIN, "admin-authz", admin_token, True)
    admin = world.admin
    world.grid = _locate(world, *TIMES_SQUARE)
    world.other_grid = _locate(world, *CROWN_HEIGHTS)
    resident = world.token(Role.RESIDENT, "resident-authz-a")
    for purpose in PURPOSES:
        if purpose in REPORTED_BY_RESIDENT:
            world.petitions[purpose] = _submit(world, resident, purpose)
        else:  # staff enter the rest (a resident may report only so many a minute)
            world.petitions[purpose] = _enter(world, purpose)
    for purpose, petition_id in world.petitions.items():
        _wait(lambda pid=petition_id: _status(world, pid) == "ASSIGNED", f"{purpose} assigned")
    assignment = world.stubs.dispatch.GetAssignment(
        di.GetAssignmentRequest(petition_id=world.target), metadata=admin.metadata, timeout=10
    ).assignment
    world.assignee = assignment.assignee_id
    for purpose, petition_id in world.petitions.items():
        world.assignees[purpose] = world.stubs.dispatch.GetAssignment(
            di.GetAssignmentRequest(petition_id=petition_id), metadata=admin.metadata, timeout=10
        ).assignment.assignee_id
    world.department = assignment.department_code
    departments = world.stubs.grid.ListDepartments(
        gr.ListDepartmentsRequest(), metadata=admin.metadata, timeout=10
    ).departments
    # A department no other shared-stack test sends petitions to (a Chinese city department),
    # so what it sees of Times Square is only what leaks.
    others = [d.code for d in departments if d.code != world.department]
    world.other_department = next((c for c in others if c.startswith("cn_")), others[0])
    _callers(world)
    for purpose in VERIFIED + RESOLVED:
        _admin_call(world, "VerifyPetition", pe.VerifyPetitionRequest, purpose)
    for purpose in RESOLVED:
        _admin_call(world, "ResolvePetition", pe.ResolvePetitionRequest, purpose, note="fixed")
    for purpose in RESOLVED:
        _wait(lambda p=purpose: _follow_up_pending(world, world.petitions[p]), f"{purpose} f-up")
    # A petition assigned to the grid's chief, for the chief's own accept.
    world.stubs.dispatch.TransferAssignment(
        di.TransferAssignmentRequest(
            petition_id=world.petitions["accept_chief"],
            to_assignee_id=f"c-{world.grid}",
            reason="the chief takes it",
            request_id=request_id(),
        ),
        metadata=admin.metadata,
        timeout=10,
    )
    world.assignees["accept_chief"] = f"c-{world.grid}"
    world.reported["resident-authz-a"] = world.target
    world.whistle_id = world.stubs.dispatch.BlowWhistle(
        di.BlowWhistleRequest(
            petition_id=world.petitions["whistle"],
            department_codes=[world.department],
            reason="flooding again",
            request_id=request_id(),
        ),
        metadata=admin.metadata,
        timeout=10,
    ).whistle.whistle_id
    chief = world.caller(Role.GRID_CHIEF)
    world.bulletin_id = world.stubs.notification.SendBulletin(
        no.SendBulletinRequest(
            grid_code=world.grid,
            title_zh="停水通知",
            body_zh="明天停水",
            title_en="Water off",
            body_en="Water is off tomorrow",
            request_id=request_id(),
        ),
        metadata=chief.metadata,
        timeout=10,
    ).bulletin_id
    # The main petition turns red 2 s after assignment (the stack's SLA override for CATEGORY).
    _wait(lambda: _overdue(world), "main overdue", timeout=30)
    return world


def _callers(world: World) -> None:
    """One caller per role whose scope holds the target petitions, and one (for scoped roles)
    whose scope does not: another resident, another borough's staff, another department."""
    grid, other = world.grid, world.other_grid
    dept, other_dept = world.department, world.other_department
    specs: list[tuple[Role, bool, str, tuple[str, ...], str]] = [
        (Role.RESIDENT, True, "resident-authz-a", (), ""),
        (Role.RESIDENT, False, "resident-authz-b", (), ""),
        (Role.GRID_WORKER, True, world.assignee, (grid,), ""),
        (Role.GRID_WORKER, False, f"w-{other}-1", (other,), ""),
        (Role.GRID_CHIEF, True, f"c-{grid}", (grid,), ""),
        (Role.GRID_CHIEF, False, f"c-{other}", (other,), ""),
        (Role.DEPARTMENT_STAFF, True, f"staff-{dept}-authz", (), dept),
        (Role.DEPARTMENT_STAFF, False, f"staff-{other_dept}-authz", (), other_dept),
        (Role.DEPARTMENT_HEAD, True, f"head-{dept}-authz", (), dept),
        (Role.DEPARTMENT_HEAD, False, f"head-{other_dept}-authz", (), other_dept),
        (Role.INSPECTOR, True, "inspector-authz", (), ""),
        (Role.SERVICE, True, "authz-service", (), ""),
        (Role.SERVICE, False, "authz-service-b", (), ""),
    ]
    for role, inside, subject, grids, department in specs:
        token = world.token(role, subject, grids, department)
        world.callers[(role, inside)] = Caller(role, subject, token, inside)


def _locate(world: World, lat: float, lon: float) -> str:
    located = world.stubs.grid.LocateGrid(
        gr.LocateGridRequest(lat=lat, lon=lon), metadata=world.admin.metadata, timeout=10
    )
    return str(located.grid.code)


def _submit(world: World, token: str, purpose: str) -> str:
    lat, lon = TIMES_SQUARE
    response = requests.post(
        f"{world.http}/api/v1/petitions",
        data={
            "title": f"Sewer backing up ({purpose})",
            "description": "Water comes up through the drain on the corner",
            "lat": str(lat),
            "lon": str(lon),
            "category": CATEGORY,
            "make_public": "true",
            "name": "Ada Resident",
            "phone": "+12125550100",
        },
        files={"photos": ("drain.jpg", jpeg(), "image/jpeg")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _enter(world: World, purpose: str) -> str:
    entered = world.stubs.petition.SubmitPetition(
        pe.SubmitPetitionRequest(
            request_id=request_id(),
            title=f"Sewer backing up ({purpose})",
            description="A caller says water comes up through the drain on the corner",
            location=point(*TIMES_SQUARE),
            category=CATEGORY,
        ),
        metadata=world.admin.metadata,
        timeout=10,
    )
    return str(entered.petition.id)


def _status(world: World, petition_id: str) -> str:
    found = world.stubs.petition.GetPetition(
        pe.GetPetitionRequest(id=petition_id), metadata=world.admin.metadata, timeout=10
    )
    return str(pe.PetitionStatus.Name(found.petition.status)).removeprefix("PETITION_STATUS_")


def _admin_call(
    world: World, method: str, kind: Callable[..., Any], purpose: str, **extra: str
) -> None:
    call = getattr(world.stubs.petition, method)
    call(
        kind(request_id=request_id(), id=world.petitions[purpose], **extra),
        metadata=world.admin.metadata,
        timeout=10,
    )


def _follow_up_pending(world: World, petition_id: str) -> bool:
    try:
        found = world.stubs.evaluation.GetFollowUp(
            ev.GetFollowUpRequest(petition_id=petition_id),
            metadata=world.admin.metadata,
            timeout=10,
        )
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.NOT_FOUND:
            return False
        raise
    return bool(found.pending)


def _overdue(world: World) -> bool:
    found = world.stubs.dispatch.ListOverdue(
        di.ListOverdueRequest(page_size=500), metadata=world.admin.metadata, timeout=10
    )
    return any(a.petition_id == world.target for a in found.assignments)


def _wait(ready: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def point(lat: float, lon: float) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(lat=lat, lon=lon)
