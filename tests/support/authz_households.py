"""What the authorization matrix needs of grid-registry's HouseholdService and
MeasureDistanceToGrid: a household with a special-care member in the target grid (read once by
an admin, so the care access log holds an entry of that grid), one to remove, and one probe per
method."""

from __future__ import annotations

import grpc

from gridplus.api.grid.v1 import grid_pb2 as gr
from gridplus.api.grid.v1 import households_pb2 as hh
from gridplus.api.grid.v1 import households_pb2_grpc
from tests.support.authz_probes import Result, listed, probe, unary
from tests.support.authz_world import TIMES_SQUARE, Caller, World, request_id

# household ids by purpose ("main", "remove"); one world per e2e session.
IDS: dict[str, str] = {}


def _households(world: World) -> households_pb2_grpc.HouseholdServiceStub:
    channel = grpc.insecure_channel(f"127.0.0.1:{world.stack.ports.grpc['grid_registry']}")
    return households_pb2_grpc.HouseholdServiceStub(channel)


def _household(world: World, *, care: bool) -> hh.Household:
    return hh.Household(
        place_code=f"{world.grid}-B1-U2",
        address="Manhattan, 1 Times Square",
        unit="9-1",
        members=[
            hh.HouseholdMember(
                name="Grace Elder", birth_year=1941, care_groups=["ELDERLY_ALONE"] if care else []
            )
        ],
    )


def prepare(world: World) -> None:
    stub = _households(world)
    for purpose in ("main", "remove"):
        request = hh.RegisterHouseholdRequest(
            request_id=request_id(), household=_household(world, care=purpose == "main")
        )
        made = stub.RegisterHousehold(request, metadata=world.admin.metadata, timeout=10)
        IDS[purpose] = made.household.household_id
    stub.GetHousehold(
        hh.GetHouseholdRequest(household_id=IDS["main"], reason="authorization matrix"),
        metadata=world.admin.metadata,
        timeout=10,
    )


@probe("grid-registry MeasureDistanceToGrid")
def _(w: World, c: Caller) -> Result:
    request = gr.MeasureDistanceToGridRequest(
        grid_code=w.grid, lat=TIMES_SQUARE[0], lon=TIMES_SQUARE[1]
    )
    return unary(w.stubs.grid.MeasureDistanceToGrid, request, c)


@probe("grid-registry RegisterHousehold")
def _(w: World, c: Caller) -> Result:
    request = hh.RegisterHouseholdRequest(
        request_id=request_id(), household=_household(w, care=False)
    )
    return unary(_households(w).RegisterHousehold, request, c)


@probe("grid-registry UpdateHousehold")
def _(w: World, c: Caller) -> Result:
    household = _household(w, care=True)
    household.household_id = IDS["main"]
    request = hh.UpdateHouseholdRequest(request_id=request_id(), household=household)
    return unary(_households(w).UpdateHousehold, request, c)


@probe("grid-registry RemoveHousehold")
def _(w: World, c: Caller) -> Result:
    request = hh.RemoveHouseholdRequest(
        request_id=request_id(), household_id=IDS["remove"], reason="moved away"
    )
    return unary(_households(w).RemoveHousehold, request, c)


@probe("grid-registry GetHousehold")
def _(w: World, c: Caller) -> Result:
    request = hh.GetHouseholdRequest(household_id=IDS["main"], reason="authorization matrix")
    return unary(_households(w).GetHousehold, request, c)


@probe("grid-registry ListHouseholds")
def _(w: World, c: Caller) -> Result:
    return listed(
        _households(w).ListHouseholds,
        hh.ListHouseholdsRequest(grid_code=w.grid, page_size=500),
        c,
        lambda answer: [household.household_id for household in answer.households],
        IDS["main"],
    )


@probe("grid-registry ListCareGroups")
def _(w: World, c: Caller) -> Result:
    return unary(_households(w).ListCareGroups, hh.ListCareGroupsRequest(), c)


@probe("grid-registry ListCareAccessLog")
def _(w: World, c: Caller) -> Result:
    return listed(
        _households(w).ListCareAccessLog,
        hh.ListCareAccessLogRequest(grid_code=w.grid, page_size=500),
        c,
        lambda answer: [entry.household_id for entry in answer.entries],
        IDS["main"],
    )
