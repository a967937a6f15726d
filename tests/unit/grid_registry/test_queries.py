"""grid-registry use cases on an in-memory grid set: locating, listing, paging, members, roles."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import shapely
from prometheus_client import REGISTRY

from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry.api import convert, page_tokens
from gridplus.grid_registry.cli import build_parser
from gridplus.grid_registry.config import GridRegistryConfig
from gridplus.grid_registry.domain.demo_workers import DemoMember
from gridplus.grid_registry.domain.fingerprint import content_fingerprint
from gridplus.grid_registry.domain.grids import GridSet, GridSpec
from gridplus.grid_registry.domain.listing import GridQuery, page_of, select_grids
from gridplus.grid_registry.domain.locator import Locator
from gridplus.grid_registry.domain.members import MemberInvalid, MemberRole, check_members
from gridplus.grid_registry.handlers import grids as queries
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.kit.config import Env
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, NotFound
from gridplus.kit.page_tokens import write_page_token


def _spec(code: str, level: int, parent: str | None, x: float, y: float, size: float) -> GridSpec:
    return GridSpec(code, f"Grid {code}", level, parent, shapely.box(x, y, x + size, y + size))


# Two level-1 squares side by side (lon 0..2, lat 0..1), each with one level-2 grid holding two
# level-3 grids split at the middle.
SPECS = [
    _spec("A", 1, None, 0, 0, 1),
    _spec("B", 1, None, 1, 0, 1),
    _spec("A1", 2, "A", 0, 0, 1),
    _spec("B1", 2, "B", 1, 0, 1),
    GridSpec("A11", "Grid A11", 3, "A1", shapely.box(0, 0, 0.5, 1)),
    GridSpec("A12", "Grid A12", 3, "A1", shapely.box(0.5, 0, 1, 1)),
    GridSpec("B11", "Grid B11", 3, "B1", shapely.box(1, 0, 1.5, 1)),
    GridSpec("B12", "Grid B12", 3, "B1", shapely.box(1.5, 0, 2, 1)),
]


@pytest.fixture(scope="module")
def snapshot() -> GridSetSnapshot:
    grids = GridSet(SPECS)
    return GridSetSnapshot(7, grids, Locator.from_grid_set(grids))


def _count(outcome: str) -> float:
    value = REGISTRY.get_sample_value("gridplus_grid_locate_total", {"outcome": outcome})
    return value or 0.0


# --- locating -----------------------------------------------------------------------------------


def test_a_point_inside_a_grid_gives_it_with_its_path_and_ancestors(
    snapshot: GridSetSnapshot,
) -> None:
    before = _count("found")
    located = queries.locate(snapshot, lat=0.5, lon=0.25)
    assert located.grid.code == "A11"
    assert located.path == ["A", "A1", "A11"]
    assert [g.code for g in located.ancestors] == ["A", "A1"]
    assert (located.version, located.snapped) == (7, False)
    assert _count("found") == before + 1


def test_a_point_outside_every_grid_is_out_of_jurisdiction(snapshot: GridSetSnapshot) -> None:
    before = _count("out_of_jurisdiction")
    with pytest.raises(NotFound, match=r"out of jurisdiction: no grid contains \(5.0, 5.0\)"):
        queries.locate(snapshot, lat=5.0, lon=5.0)
    assert _count("out_of_jurisdiction") == before + 1


def test_a_point_just_outside_snaps_within_the_tolerance(snapshot: GridSetSnapshot) -> None:
    before = _count("snapped")
    # ~55 m south of grid B12's bottom edge.
    located = queries.locate(snapshot, lat=-0.0005, lon=1.75, tolerance_m=100)
    assert located.grid.code == "B12" and located.snapped
    assert 50 < located.distance_m < 60
    assert _count("snapped") == before + 1
    with pytest.raises(NotFound, match="within 10 m"):
        queries.locate(snapshot, lat=-0.0005, lon=1.75, tolerance_m=10)


@pytest.mark.parametrize(
    ("lat", "lon", "tolerance", "fields"),
    [
        (91.0, 0.0, 0.0, ["lat"]),
        (math.nan, 0.0, 0.0, ["lat"]),
        (0.0, -180.5, 0.0, ["lon"]),
        (100.0, 200.0, -1.0, ["lat", "lon", "tolerance_meters"]),
        (0.5, 0.5, 5000.0, ["tolerance_meters"]),
    ],
)
def test_bad_coordinates_are_refused_naming_each_field(
    snapshot: GridSetSnapshot, lat: float, lon: float, tolerance: float, fields: list[str]
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        queries.locate(snapshot, lat=lat, lon=lon, tolerance_m=tolerance)
    assert [v.field for v in raised.value.violations] == fields


# --- grids and listing --------------------------------------------------------------------------


def test_get_grid_names_an_unknown_code(snapshot: GridSetSnapshot) -> None:
    assert queries.get_grid(snapshot, "B1").parent_code == "B"
    with pytest.raises(NotFound, match="'ZZ9'"):
        queries.get_grid(snapshot, "ZZ9")
    with pytest.raises(InvalidArgument, match="code"):
        queries.get_grid(snapshot, "")


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        (GridQuery(), ["A", "B", "A1", "B1", "A11", "A12", "B11", "B12"]),
        (GridQuery(level=3), ["A11", "A12", "B11", "B12"]),
        (GridQuery(parent_code="A"), ["A1"]),
        (GridQuery(parent_code="B", level=3), ["B11", "B12"]),
        (GridQuery(parent_code="B", level=1), []),
    ],
)
def test_listing_filters_by_parent_and_level(
    snapshot: GridSetSnapshot, query: GridQuery, codes: list[str]
) -> None:
    assert [g.code for g in select_grids(snapshot.grids, query)] == codes


def test_listing_refuses_unknown_parent_and_level(snapshot: GridSetSnapshot) -> None:
    with pytest.raises(NotFound, match="'Q'"):
        queries.list_grids(snapshot, GridQuery(parent_code="Q"), after=None, size=10)
    with pytest.raises(InvalidArgument, match="level"):
        queries.list_grids(snapshot, GridQuery(level=4), after=None, size=10)


def test_pages_cover_the_listing_once_in_order(snapshot: GridSetSnapshot) -> None:
    everything = select_grids(snapshot.grids, GridQuery())
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = page_of(everything, after=after, size=3)
        seen += [g.code for g in page.grids]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [g.code for g in everything]
    assert page_of(everything, after=None, size=8).next_cursor is None


def test_page_tokens_continue_only_their_own_listing() -> None:
    query = GridQuery(parent_code="A", level=3)
    token = page_tokens.next_page_token((3, "A11"), query=query, version=3)
    assert page_tokens.next_page_token(None, query=query, version=3) == ""
    assert page_tokens.resume(token, query=query, version=3) == (3, "A11")
    assert page_tokens.resume("", query=query, version=3) is None
    with pytest.raises(InvalidArgument, match="other filters"):
        page_tokens.resume(token, query=GridQuery(level=3), version=3)
    with pytest.raises(FailedPrecondition, match="from version 3 to 4"):
        page_tokens.resume(token, query=query, version=4)
    made_up = write_page_token({"level": "x"}, ["ListGrids", "A", 3])
    for junk in ("not-a-token", "e30", token[:-3], made_up):
        with pytest.raises(InvalidArgument, match="page_token"):
            page_tokens.resume(junk, query=query, version=3)


def test_page_size_defaults_caps_and_refuses_negative() -> None:
    assert page_tokens.page_size(0) == page_tokens.DEFAULT_PAGE_SIZE
    assert page_tokens.page_size(5) == 5
    assert page_tokens.page_size(10**6) == page_tokens.MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument, match="page_size"):
        page_tokens.page_size(-1)


# --- members and content ------------------------------------------------------------------------


def test_members_must_have_known_roles_and_grids_and_appear_once() -> None:
    grids = GridSet(SPECS)
    worker = DemoMember("w-1", "Worker One", "grid_worker", "A11")
    assert check_members(grids, [worker])[0].role is MemberRole.GRID_WORKER
    cases = [
        (replace(worker, role="mayor"), "unknown role 'mayor'"),
        (replace(worker, grid_code="Z9"), "grid 'Z9' is not in the grid set"),
        (replace(worker, person_id=" "), "person_id must not be empty"),
    ]
    for member, reason in cases:
        with pytest.raises(MemberInvalid, match=reason):
            check_members(grids, [member])
    with pytest.raises(MemberInvalid, match="listed twice"):
        check_members(grids, [worker, worker])


def test_fingerprint_ignores_order_but_sees_every_change() -> None:
    grids = GridSet(SPECS)
    people = check_members(grids, [DemoMember("w-1", "Worker One", "grid_worker", "A11")])
    same = content_fingerprint(GridSet(reversed(SPECS)), people)
    assert content_fingerprint(grids, people) == same
    renamed = [replace(SPECS[0], name="Renamed"), *SPECS[1:]]
    moved = [*SPECS[:-1], replace(SPECS[-1], geometry=shapely.box(1.5, 0, 2, 1.1))]
    assert content_fingerprint(GridSet(renamed), people) != same
    assert content_fingerprint(GridSet(moved), people) != same
    assert content_fingerprint(grids, []) != same


def test_every_api_member_role_maps_to_a_stored_role_and_back() -> None:
    api_roles = [v for v in grid_pb2.MemberRole.values() if v != grid_pb2.MEMBER_ROLE_UNSPECIFIED]
    for value in api_roles:
        role = convert.role_from_proto(value)
        assert role is not None and convert.ROLE_TO_PROTO[role] == value
    assert convert.role_from_proto(grid_pb2.MEMBER_ROLE_UNSPECIFIED) is None
    with pytest.raises(InvalidArgument, match="role"):
        convert.role_from_proto(99)


# --- operator surface ---------------------------------------------------------------------------


def test_config_defaults_to_the_repo_demo_city_and_reads_overrides() -> None:
    config = GridRegistryConfig.from_env(Env({}))
    assert (config.demo_dir / "nyc_nta2020_dcp24c.geojson").is_file()
    assert config.refresh_seconds == 0.5
    custom = GridRegistryConfig.from_env(
        Env(
            {
                "GRIDPLUS_GRID_REGISTRY_DEMO_DIR": "/srv/city",
                "GRIDPLUS_GRID_REGISTRY_REFRESH_SECONDS": "2",
            }
        )
    )
    assert (custom.demo_dir, custom.refresh_seconds) == (Path("/srv/city"), 2.0)


def test_gridctl_takes_a_negative_longitude_as_a_coordinate() -> None:
    args = build_parser().parse_args(["locate", "40.758", "-73.9855", "--tolerance", "25"])
    assert (args.lat, args.lon, args.tolerance) == (40.758, -73.9855, 25.0)
    args = build_parser().parse_args(["list", "--level", "2", "--parent", "1"])
    assert (args.level, args.parent) == (2, "1")
