"""GridRegistryService through the real kit GrpcServer with real JWTs, on SQLite and PostgreSQL."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.common.v1 import common_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.kit.auth import Role
from tests.integration.grid_registry.registry import (
    ATLANTIC_OCEAN,
    RESIDENT,
    ROCKAWAY_10M_OUT,
    SERVICE,
    TIMES_SQUARE,
    WORKER,
    Running,
    bearer,
)

pytestmark = pytest.mark.integration


def violations(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    return [v.field for v in bad.field_violations]


def test_times_square_is_in_midtown(registry: Running) -> None:
    lat, lon = TIMES_SQUARE
    response = registry.stub.LocateGrid(
        grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=RESIDENT, timeout=5
    )
    assert response.grid.code == "MN0502"
    assert list(response.grid.path) == ["1", "MN05", "MN0502"]
    assert (response.grid.level, response.grid.grid_set_version) == (3, 1)
    assert [(a.code, a.name, a.level) for a in response.ancestors] == [
        ("1", "Manhattan", 1),
        ("MN05", "MN05 Midtown-Flatiron-Union Square (CD 5 Approximation)", 2),
    ]
    assert list(response.ancestors[1].path) == ["1", "MN05"]
    assert not response.snapped


def test_the_ocean_is_out_of_jurisdiction(registry: Running) -> None:
    lat, lon = ATLANTIC_OCEAN
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.LocateGrid(
            grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=RESIDENT, timeout=5
        )
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == "out of jurisdiction: no grid contains (40.45, -73.7)"


def test_a_point_off_the_beach_snaps_within_the_tolerance(registry: Running) -> None:
    lat, lon = ROCKAWAY_10M_OUT
    response = registry.stub.LocateGrid(
        grid_pb2.LocateGridRequest(lat=lat, lon=lon, tolerance_meters=50),
        metadata=SERVICE,
        timeout=5,
    )
    assert response.snapped and response.grid.code == "QN1403"
    assert 5 < response.snap_distance_meters < 15


def test_a_bad_latitude_is_refused_naming_lat(registry: Running) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.LocateGrid(
            grid_pb2.LocateGridRequest(lat=123.0, lon=-73.9), metadata=RESIDENT, timeout=5
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(raised.value) == ["lat"]


def test_a_call_without_a_token_is_unauthenticated(registry: Running) -> None:
    lat, lon = TIMES_SQUARE
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.LocateGrid(grid_pb2.LocateGridRequest(lat=lat, lon=lon), timeout=5)
    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_a_resident_may_locate_but_not_see_members_or_grids(registry: Running) -> None:
    calls = [
        (registry.stub.ListMembers, grid_pb2.ListMembersRequest(grid_code="MN0101")),
        (registry.stub.GetGrid, grid_pb2.GetGridRequest(code="MN0101")),
        (registry.stub.ListGrids, grid_pb2.ListGridsRequest()),
    ]
    for call, request in calls:
        with pytest.raises(grpc.RpcError) as raised:
            call(request, metadata=RESIDENT, timeout=5)
        assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_the_grid_workers_of_the_financial_district(registry: Running) -> None:
    workers = registry.stub.ListMembers(
        grid_pb2.ListMembersRequest(grid_code="MN0101", role=grid_pb2.MEMBER_ROLE_GRID_WORKER),
        metadata=WORKER,
        timeout=5,
    )
    assert [(m.person_id, m.role, m.grid_code) for m in workers.members] == [
        ("w-MN0101-1", grid_pb2.MEMBER_ROLE_GRID_WORKER, "MN0101"),
        ("w-MN0101-2", grid_pb2.MEMBER_ROLE_GRID_WORKER, "MN0101"),
    ]
    everyone = registry.stub.ListMembers(
        grid_pb2.ListMembersRequest(grid_code="MN0101"), metadata=SERVICE, timeout=5
    )
    # Chief, two workers, street chief, building chief and two unit chiefs, with contacts.
    assert len(everyone.members) == 7
    assert all(m.email.endswith("@example.org") and m.language for m in everyone.members)
    unit_chiefs = [
        m.place_code for m in everyone.members if m.role == grid_pb2.MEMBER_ROLE_UNIT_CHIEF
    ]
    assert unit_chiefs == ["MN0101-B1-U1", "MN0101-B1-U2"]
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.ListMembers(
            grid_pb2.ListMembersRequest(grid_code="XX01"), metadata=SERVICE, timeout=5
        )
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND and "XX01" in raised.value.details()


def test_get_grid_and_an_unknown_code(registry: Running) -> None:
    grid = registry.stub.GetGrid(
        grid_pb2.GetGridRequest(code="BK0101"), metadata=WORKER, timeout=5
    ).grid
    assert (grid.level, grid.parent_code, list(grid.path)) == (3, "BK01", ["3", "BK01", "BK0101"])
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.GetGrid(grid_pb2.GetGridRequest(code="ZZ9999"), metadata=WORKER, timeout=5)
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND and "ZZ9999" in raised.value.details()


def test_listing_pages_through_every_manhattan_neighbourhood(registry: Running) -> None:
    codes: list[str] = []
    token = ""
    for _ in range(20):
        page = registry.stub.ListGrids(
            grid_pb2.ListGridsRequest(parent_code="1", level=3, page_size=10, page_token=token),
            metadata=SERVICE,
            timeout=5,
        )
        assert len(page.grids) <= 10
        codes += [g.code for g in page.grids]
        token = page.next_page_token
        if not token:
            break
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    assert all(c.startswith("MN") and len(c) == 6 for c in codes) and "MN0502" in codes
    children = registry.stub.ListGrids(
        grid_pb2.ListGridsRequest(parent_code="5"), metadata=SERVICE, timeout=5
    )
    assert [g.code for g in children.grids] == ["SI01", "SI02", "SI03", "SI95"]
    every_nta = registry.stub.ListGrids(
        grid_pb2.ListGridsRequest(level=3, page_size=1000), metadata=SERVICE, timeout=5
    )
    assert len(every_nta.grids) == 262 and not every_nta.next_page_token
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.ListGrids(
            grid_pb2.ListGridsRequest(level=3, page_token="garbage"), metadata=SERVICE, timeout=5
        )
    assert violations(raised.value) == ["page_token"]


# --- organisation chain -------------------------------------------------------------------------


def test_the_chain_of_times_square_from_the_borough_down_to_its_units(registry: Running) -> None:
    point = common_pb2.GeoPoint(lat=TIMES_SQUARE[0], lon=TIMES_SQUARE[1])
    # A worker of the grid reads its chain (issue 17: another grid's answers NOT_FOUND).
    local_worker = bearer(Role.GRID_WORKER, "w-MN0502-1", ("MN0502",))
    chain = registry.stub.GetChain(
        grid_pb2.GetChainRequest(point=point), metadata=local_worker, timeout=5
    ).levels
    assert [level.grid.code for level in chain] == ["1", "MN05", "MN0502"]
    borough, district, neighbourhood = chain
    heads = {
        m.department_code: m
        for m in borough.members
        if m.role == grid_pb2.MEMBER_ROLE_DEPARTMENT_HEAD
    }
    assert heads["NYPD"].person_id == "head-nypd"
    assert heads["NYPD"].email.endswith("@example.org") and heads["NYPD"].language in ("zh", "en")
    assert "c-1" in [m.person_id for m in borough.members]
    assert [(m.person_id, m.role) for m in district.members] == [
        ("c-MN05", grid_pb2.MEMBER_ROLE_GRID_CHIEF),
        ("i-MN05", grid_pb2.MEMBER_ROLE_INSPECTOR),
    ]
    roles = {m.role for m in neighbourhood.members}
    assert {
        grid_pb2.MEMBER_ROLE_GRID_WORKER,
        grid_pb2.MEMBER_ROLE_GRID_CHIEF,
        grid_pb2.MEMBER_ROLE_STREET_CHIEF,
        grid_pb2.MEMBER_ROLE_BUILDING_CHIEF,
        grid_pb2.MEMBER_ROLE_UNIT_CHIEF,
    } == roles
    assert [(p.code, p.kind, p.parent_code) for p in neighbourhood.places] == [
        ("MN0502-B1", grid_pb2.PLACE_KIND_BUILDING, ""),
        ("MN0502-B1-U1", grid_pb2.PLACE_KIND_UNIT, "MN0502-B1"),
        ("MN0502-B1-U2", grid_pb2.PLACE_KIND_UNIT, "MN0502-B1"),
    ]
    assert not borough.places and not district.places


def test_the_chain_of_a_grid_and_its_errors(registry: Running) -> None:
    chain = registry.stub.GetChain(
        grid_pb2.GetChainRequest(grid_code="MN05"), metadata=SERVICE, timeout=5
    ).levels
    assert [level.grid.code for level in chain] == ["1", "MN05"]
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.GetChain(
            grid_pb2.GetChainRequest(grid_code="XX"), metadata=SERVICE, timeout=5
        )
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    ocean = common_pb2.GeoPoint(lat=ATLANTIC_OCEAN[0], lon=ATLANTIC_OCEAN[1])
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.GetChain(grid_pb2.GetChainRequest(point=ocean), metadata=SERVICE, timeout=5)
    assert "out of jurisdiction" in raised.value.details()
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.GetChain(grid_pb2.GetChainRequest(), metadata=SERVICE, timeout=5)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.GetChain(
            grid_pb2.GetChainRequest(grid_code="MN05"), metadata=RESIDENT, timeout=5
        )
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED


# --- batch location -----------------------------------------------------------------------------


def test_locate_grids_streams_many_points_per_message(registry: Running) -> None:
    batches = [
        grid_pb2.LocateGridsRequest(
            lats=[TIMES_SQUARE[0], ATLANTIC_OCEAN[0]], lons=[TIMES_SQUARE[1], ATLANTIC_OCEAN[1]]
        ),
        grid_pb2.LocateGridsRequest(
            lats=[ROCKAWAY_10M_OUT[0]] * 3, lons=[ROCKAWAY_10M_OUT[1]] * 3, tolerance_meters=30
        ),
    ]
    answers = list(registry.stub.LocateGrids(iter(batches), metadata=SERVICE, timeout=10))
    assert [list(a.grid_codes) for a in answers[:1]] == [["MN0502", ""]]
    assert list(answers[1].snapped) == [True, True, True]
    assert len(set(answers[1].grid_codes)) == 1 and answers[1].grid_codes[0]
    assert all(a.grid_set_version == 1 for a in answers)


def test_locate_grids_refuses_a_bad_batch(registry: Running) -> None:
    bad = [grid_pb2.LocateGridsRequest(lats=[40.7, 200.0], lons=[-73.9, -73.9])]
    with pytest.raises(grpc.RpcError) as raised:
        list(registry.stub.LocateGrids(iter(bad), metadata=SERVICE, timeout=10))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "point 1" in raised.value.details()
    uneven = [grid_pb2.LocateGridsRequest(lats=[40.7, 40.8], lons=[-73.9])]
    with pytest.raises(grpc.RpcError) as raised:
        list(registry.stub.LocateGrids(iter(uneven), metadata=SERVICE, timeout=10))
    assert violations(raised.value) == ["lons"]
