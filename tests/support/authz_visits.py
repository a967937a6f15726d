"""What the authorization matrix needs of dispatch's VisitService: a household with a special-care
member in the target grid (registered with grid-registry, known to dispatch from its
HouseholdChanged), a visit to it with a photo by the grid's worker, and one probe per method."""

from __future__ import annotations

import time

import grpc

from gridplus.api.dispatch.v1 import visits_pb2 as vi
from gridplus.api.dispatch.v1 import visits_pb2_grpc
from gridplus.api.grid.v1 import households_pb2 as hh
from gridplus.api.grid.v1 import households_pb2_grpc
from gridplus.kit.roles import Role
from tests.support.authz_probes import Result, call, listed, probe, unary
from tests.support.authz_world import TIMES_SQUARE, Caller, World, jpeg, point, request_id


def _visits(world: World) -> visits_pb2_grpc.VisitServiceStub:
    channel = grpc.insecure_channel(f"127.0.0.1:{world.stack.ports.grpc['dispatch']}")
    return visits_pb2_grpc.VisitServiceStub(channel)


def prepare(world: World) -> None:
    """Register the household, wait until dispatch knows it, record the target visit."""
    channel = grpc.insecure_channel(f"127.0.0.1:{world.stack.ports.grpc['grid_registry']}")
    registered = (
        households_pb2_grpc.HouseholdServiceStub(channel)
        .RegisterHousehold(
            hh.RegisterHouseholdRequest(
                request_id=request_id(),
                household=hh.Household(
                    place_code=f"{world.grid}-B1-U1",
                    address="Manhattan, 1 Times Square",
                    unit="7-3",
                    members=[hh.HouseholdMember(name="Ada Elder", care_groups=["ELDERLY_ALONE"])],
                ),
            ),
            metadata=world.admin.metadata,
            timeout=10,
        )
        .household
    )
    world.visit_ids["household"] = registered.household_id
    world.visit_ids["member"] = registered.members[0].member_id
    worker = world.caller(Role.GRID_WORKER)
    deadline = time.monotonic() + 30
    record = _visits(world).RecordVisit
    while True:  # dispatch learns the household from HouseholdChanged, moments later
        result, answer = call(record, _record_request(world, photo=True), worker)
        if answer is not None:
            break
        if result.status != "NOT_FOUND" or time.monotonic() > deadline:
            raise AssertionError(f"the authz visit was not recorded: {result}")
        time.sleep(0.3)
    world.visit_ids["visit"] = answer.visit.visit_id
    world.visit_ids["worker"] = worker.subject


def _record_request(world: World, *, photo: bool = False) -> vi.RecordVisitRequest:
    return vi.RecordVisitRequest(
        request_id=request_id(),
        household_id=world.visit_ids["household"],
        location=point(*TIMES_SQUARE),
        notes="called in, all well",
        photos=[jpeg()] if photo else [],
    )


@probe("dispatch RecordVisit")
def _(w: World, c: Caller) -> Result:
    return unary(_visits(w).RecordVisit, _record_request(w), c)


@probe("dispatch GetVisit")
def _(w: World, c: Caller) -> Result:
    return unary(_visits(w).GetVisit, vi.GetVisitRequest(visit_id=w.visit_ids["visit"]), c)


@probe("dispatch GetVisitPhoto")
def _(w: World, c: Caller) -> Result:
    request = vi.GetVisitPhotoRequest(visit_id=w.visit_ids["visit"], index=1)
    return unary(_visits(w).GetVisitPhoto, request, c)


@probe("dispatch ListDiary")
def _(w: World, c: Caller) -> Result:
    result, answer = call(
        _visits(w).ListDiary, vi.ListDiaryRequest(worker_id=w.visit_ids["worker"]), c
    )
    if answer is None:
        return result
    shown = any(v.visit_id == w.visit_ids["visit"] for day in answer.days for v in day.visits)
    return Result("OK", shown=shown)


@probe("dispatch ListCareDue")
def _(w: World, c: Caller) -> Result:
    request = vi.ListCareDueRequest(grid_code=w.grid, page_size=500)
    return listed(
        _visits(w).ListCareDue,
        request,
        c,
        lambda answer: [care.member_id for care in answer.care_due],
        w.visit_ids["member"],
    )
