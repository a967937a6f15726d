"""Grid geometry domain on the real NYC demo city: hierarchy, GeoJSON loading, point location."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from gridplus.grid_registry.domain.coverage import IssueKind, check_coverage
from gridplus.grid_registry.domain.demo_workers import demo_organisation, demo_places
from gridplus.grid_registry.domain.geojson_layers import (
    LayerInvalid,
    LayerSource,
    LoadedLayer,
    OnInvalid,
    parse_layer,
    parse_layers,
)
from gridplus.grid_registry.domain.grids import GridSet, GridSetInvalid, GridSpec, UnknownGrid
from gridplus.grid_registry.domain.locator import InvalidCoordinates, LocateResult, Locator
from gridplus.grid_registry.domain.places import Place, PlaceInvalid, PlaceKind, check_places
from gridplus.grid_registry.domain.taxonomy import Department
from gridplus.grid_registry.storage.geojson_files import (
    NYC_NTA_FILE,
    load_nyc_demo,
    load_nyc_demo_layers,
    read_layer,
)

NYC_DIR = Path(__file__).resolve().parents[3] / "data" / "demo" / "nyc"
# Bounding box of the NYC NTA polygons (lon_min, lat_min, lon_max, lat_max).
NYC_BBOX = (-74.255591, 40.496134, -73.700009, 40.915533)
TIMES_SQUARE = (40.758, -73.9855)
PROSPECT_PARK = (40.6602, -73.9690)
ATLANTIC_OCEAN = (40.45, -73.70)
# A vertex shared by the Financial District and Tribeca NTAs (exact in the 6-decimal source data).
MN0101_MN0102_VERTEX = (40.718872, -74.012325)
# A vertex where four Brooklyn NTAs meet.
FOUR_NTA_VERTEX = (40.698039, -73.96284)
# Rockaway beach edge at lon -73.85 is lat 40.5715727; these points lie due south, in the ocean.
ROCKAWAY_10M_OUT = (40.571483, -73.85)
ROCKAWAY_1KM_OUT = (40.562573, -73.85)


@pytest.fixture(scope="module")
def layers() -> list[LoadedLayer]:
    return load_nyc_demo_layers(NYC_DIR)


@pytest.fixture(scope="module")
def grids(layers: list[LoadedLayer]) -> GridSet:
    return GridSet(spec for layer in layers for spec in layer.specs)


@pytest.fixture(scope="module")
def locator(grids: GridSet) -> Locator:
    return Locator.from_grid_set(grids)


def _square(x: float, y: float) -> shapely.Polygon:
    return shapely.box(x, y, x + 1, y + 1)


# --- loading and hierarchy -------------------------------------------------------------------


def test_demo_city_has_5_boroughs_71_cdtas_262_ntas(grids: GridSet) -> None:
    assert [len(grids.at_level(level)) for level in (1, 2, 3)] == [5, 71, 262]
    assert len(load_nyc_demo(NYC_DIR)) == 338
    assert grids.get("1").name == "Manhattan"
    assert grids.get("MN0502").name == "Midtown-Times Square"


def test_hierarchy_paths_children_and_ancestors(grids: GridSet) -> None:
    assert grids.path("MN0101") == ["1", "MN01", "MN0101"]
    assert [g.code for g in grids.ancestors("BK0101")] == ["3", "BK01"]
    assert grids.ancestors("2") == []
    assert [g.code for g in grids.children("5")] == ["SI01", "SI02", "SI03", "SI95"]
    assert grids.get("BX08").parent_code == "2"  # CDTAs nest in boroughs by code prefix
    assert all(len(grids.path(g.code)) == 3 for g in grids.at_level(3))
    assert sum(len(grids.children(g.code)) for g in grids.at_level(2)) == 262
    assert grids.is_within("MN0101", "1") and not grids.is_within("MN0101", "3")
    with pytest.raises(UnknownGrid, match="XX01"):
        grids.path("XX01")


def test_college_point_self_intersection_is_repaired_and_reported(
    layers: list[LoadedLayer],
) -> None:
    repaired = [[r.code for r in layer.repairs] for layer in layers]
    assert repaired == [["4"], ["QN07"], ["QN0701"]]
    nta = next(s for s in layers[2].specs if s.code == "QN0701")
    assert nta.geometry.is_valid and nta.geometry.geom_type == "MultiPolygon"
    repair = layers[2].repairs[0]
    assert "Self-intersection" in repair.problem
    assert repair.area_after == pytest.approx(repair.area_before, rel=1e-9)


def test_refusing_invalid_geometry_names_the_feature() -> None:
    with pytest.raises(LayerInvalid, match="QN0701") as raised:
        read_layer(
            NYC_DIR / NYC_NTA_FILE,
            level=3,
            code_property="NTA2020",
            name_property="NTAName",
            parent_property="CDTA2020",
            on_invalid=OnInvalid.REFUSE,
        )
    assert raised.value.code == "QN0701"


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        (
            {
                "properties": {"id": "A1", "name": "a"},
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            },
            "'A1'.*Polygon or MultiPolygon, got Point",
        ),
        (
            {"properties": {"name": "a"}, "geometry": shapely.geometry.mapping(_square(0, 0))},
            "'#0'.*'id' is missing",
        ),
    ],
)
def test_unusable_features_are_refused_with_their_code(feature: dict, message: str) -> None:
    collection = {"type": "FeatureCollection", "features": [feature]}
    with pytest.raises(LayerInvalid, match=message):
        parse_layer(collection, level=1, code_property="id", name_property="name")


def _spec(code: str, level: int, parent: str | None, x: float = 0) -> GridSpec:
    return GridSpec(code, code, level, parent, _square(x, 0))


@pytest.mark.parametrize(
    ("specs", "bad_code", "message"),
    [
        ([_spec("1", 1, None), _spec("A", 2, "9")], "A", "parent '9' does not exist"),
        ([_spec("1", 1, None), _spec("A1", 3, "1")], "A1", "parent '1' is level 1, expected"),
        ([_spec("1", 1, None), _spec("A", 2, None)], "A", "needs a parent"),
        ([_spec("1", 1, "0")], "1", "level-1 grid has no parent"),
        ([_spec("1", 1, None), _spec("1", 1, None, 2)], "1", "duplicate"),
        ([_spec("Z", 4, None)], "Z", "level 4 is not in 1..3"),
    ],
)
def test_hierarchy_errors_name_the_offending_grid(
    specs: list[GridSpec], bad_code: str, message: str
) -> None:
    with pytest.raises(GridSetInvalid, match=message) as raised:
        GridSet(specs)
    assert raised.value.code == bad_code
    assert repr(bad_code) in str(raised.value)


# --- locating points -------------------------------------------------------------------------


def test_times_square_is_in_midtown(locator: Locator, grids: GridSet) -> None:
    found = locator.locate(*TIMES_SQUARE)
    assert found is not None and found.code == "MN0502" and not found.snapped
    assert grids.get(found.code).name == "Midtown-Times Square"
    assert grids.path(found.code) == ["1", "MN05", "MN0502"]


def test_prospect_park_is_in_brooklyn(locator: Locator, grids: GridSet) -> None:
    found = locator.locate(*PROSPECT_PARK)
    assert found is not None and found.code == "BK5591"
    assert grids.get(found.code).name == "Prospect Park"
    assert grids.path(found.code)[0] == "3"


def test_atlantic_ocean_is_out_of_jurisdiction(locator: Locator) -> None:
    assert locator.locate(*ATLANTIC_OCEAN) is None
    assert locator.locate(*ATLANTIC_OCEAN, tolerance_m=100) is None


@pytest.mark.parametrize(
    ("point", "covering", "winner"),
    [
        (MN0101_MN0102_VERTEX, ["MN0101", "MN0102"], "MN0101"),
        (FOUR_NTA_VERTEX, ["BK0103", "BK0203", "BK0204", "BK0261"], "BK0103"),
    ],
)
def test_shared_boundary_point_always_gets_the_smallest_code(
    grids: GridSet, point: tuple[float, float], covering: list[str], winner: str
) -> None:
    lat, lon = point
    assert [g.code for g in grids.at_level(3) if g.geometry.covers(shapely.Point(lon, lat))] == (
        covering
    )
    reversed_locator = Locator(list(reversed(grids.at_level(3))))
    answers = {Locator(grids.at_level(3)).locate(lat, lon) for _ in range(3)}
    answers.add(reversed_locator.locate(lat, lon))
    assert {a.code for a in answers if a is not None} == {winner} and None not in answers
    assert list(reversed_locator.locate_many([lat, lat], [lon, lon])) == [winner, winner]


def test_locate_many_agrees_with_locate(locator: Locator) -> None:
    rng = np.random.default_rng(20240611)
    lons = rng.uniform(NYC_BBOX[0], NYC_BBOX[2], 2000)
    lats = rng.uniform(NYC_BBOX[1], NYC_BBOX[3], 2000)
    # Add the boundary vertices, where the tie-break must match too.
    lats = np.append(lats, [MN0101_MN0102_VERTEX[0], FOUR_NTA_VERTEX[0]])
    lons = np.append(lons, [MN0101_MN0102_VERTEX[1], FOUR_NTA_VERTEX[1]])
    batch = locator.locate_many(lats, lons)
    one_by_one = [locator.locate(lat, lon) for lat, lon in zip(lats, lons, strict=True)]
    assert list(batch) == [r.code if r else None for r in one_by_one]
    hits = sum(code is not None for code in batch)
    assert 500 < hits < 1500  # NYC fills about a third of its bounding box


def test_tolerance_snaps_a_point_just_off_the_beach_but_not_one_far_out(locator: Locator) -> None:
    assert locator.locate(*ROCKAWAY_10M_OUT) is None
    snapped = locator.locate(*ROCKAWAY_10M_OUT, tolerance_m=25)
    assert snapped is not None and snapped.code == "QN1403" and snapped.snapped
    # 10 m due south of the beach edge; the coast runs at a slant, so the nearest edge is closer.
    assert 8.0 < snapped.distance_m <= 10.0
    assert locator.locate(*ROCKAWAY_10M_OUT, tolerance_m=5) is None
    assert locator.locate(*ROCKAWAY_1KM_OUT, tolerance_m=50) is None
    codes = locator.locate_many(
        [ROCKAWAY_10M_OUT[0], ROCKAWAY_1KM_OUT[0], TIMES_SQUARE[0]],
        [ROCKAWAY_10M_OUT[1], ROCKAWAY_1KM_OUT[1], TIMES_SQUARE[1]],
        tolerance_m=25,
    )
    assert list(codes) == ["QN1403", None, "MN0502"]


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (0.0, -181.0), (float("nan"), 0.0)])
def test_impossible_coordinates_are_rejected(locator: Locator, lat: float, lon: float) -> None:
    with pytest.raises(InvalidCoordinates):
        locator.locate(lat, lon)
    with pytest.raises(InvalidCoordinates, match="point 1"):
        locator.locate_many([40.7, lat], [-73.9, lon])


# --- demo organisation -----------------------------------------------------------------------


def test_demo_organisation_staffs_every_grid(grids: GridSet) -> None:
    heads = [
        Department("NYPD", "纽约市警察局", "NYPD"),
        Department("cn_health", "卫健委", "Health"),
    ]
    members = demo_organisation(grids, departments=heads)
    # Smallest grids: chief, 2 workers, street chief, building chief, 2 unit chiefs; level 2: chief
    # and inspector; level 1: chief and one head per department.
    assert len(members) == 262 * 7 + 71 * 2 + 5 * 3
    in_mn0101 = [(m.person_id, m.role, m.place_code) for m in members if m.grid_code == "MN0101"]
    assert in_mn0101 == [
        ("c-MN0101", "grid_chief", ""),
        ("w-MN0101-1", "grid_worker", ""),
        ("w-MN0101-2", "grid_worker", ""),
        ("s-MN0101", "street_chief", ""),
        ("b-MN0101-1", "building_chief", "MN0101-B1"),
        ("u-MN0101-1-1", "unit_chief", "MN0101-B1-U1"),
        ("u-MN0101-1-2", "unit_chief", "MN0101-B1-U2"),
    ]
    head = next(m for m in members if m.person_id == "head-nypd" and m.grid_code == "1")
    assert (head.role, head.department_code) == ("department_head", "NYPD")
    assert all(m.email.endswith("@example.org") and m.language in ("zh", "en") for m in members)
    assert {"c-1", "c-MN01", "i-MN01"} <= {m.person_id for m in members}
    assert demo_organisation(reversed(list(grids)), departments=heads) == members
    places = demo_places(grids)
    assert len(places) == 262 * 3
    assert [p.code for p in places[:3]] == ["BK0101-B1", "BK0101-B1-U1", "BK0101-B1-U2"]


# --- the cell index in front of the exact test -------------------------------------------------


def test_the_cell_index_answers_exactly_like_the_polygons(locator: Locator) -> None:
    rng = np.random.default_rng(5)
    lons = rng.uniform(NYC_BBOX[0] - 0.01, NYC_BBOX[2] + 0.01, 50_000)
    lats = rng.uniform(NYC_BBOX[1] - 0.01, NYC_BBOX[3] + 0.01, 50_000)
    # Every polygon vertex lies on a boundary: the hardest points for a shortcut.
    vertices = np.concatenate([shapely.get_coordinates(g) for g in locator._geometries])
    lons = np.concatenate([lons, vertices[:, 0]])
    lats = np.concatenate([lats, vertices[:, 1]])
    assert np.array_equal(locator._best_covering(lats, lons), locator._exact_covering(lats, lons))
    assert locator._cells is not None and locator._cells.ambiguous_share < 0.25


def test_locate_batch_flags_snapped_points(locator: Locator) -> None:
    codes, snapped = locator.locate_batch(
        [TIMES_SQUARE[0], ROCKAWAY_10M_OUT[0], ROCKAWAY_1KM_OUT[0]],
        [TIMES_SQUARE[1], ROCKAWAY_10M_OUT[1], ROCKAWAY_1KM_OUT[1]],
        tolerance_m=30,
    )
    assert codes[0] == "MN0502" and codes[1] is not None and codes[2] is None
    assert snapped.tolist() == [False, True, False]


def test_a_one_level_grid_set_locates_in_its_only_level() -> None:
    one_level = GridSet([GridSpec("A", "A", 1, None, _square(0, 0))])
    assert Locator.from_grid_set(one_level).locate(0.5, 0.5) == LocateResult("A")


# --- coverage -----------------------------------------------------------------------------------


def test_coverage_reports_overlap_gap_and_outside_in_square_metres() -> None:
    # Near the equator a 0.01° square is about 1,113 m x 1,106 m.
    small = 0.01
    specs = [
        GridSpec("P", "Parent", 1, None, shapely.box(0, 0, 2 * small, small)),
        GridSpec("Q", "Other", 1, None, shapely.box(2 * small, 0, 3 * small, small)),
        # C1 and C2 overlap by a quarter square; nothing covers the right half of P above y/2;
        # C3 sticks out of P into Q.
        GridSpec("C1", "c1", 2, "P", shapely.box(0, 0, small, small)),
        GridSpec("C2", "c2", 2, "P", shapely.box(0.75 * small, 0, 1.5 * small, small / 2)),
        GridSpec("C3", "c3", 2, "P", shapely.box(1.5 * small, 0, 2.5 * small, small / 2)),
    ]
    report = check_coverage(GridSet(specs))
    kinds = {(issue.kind, issue.codes): issue.area_m2 for issue in report.issues}
    assert set(kinds) == {
        (IssueKind.OVERLAP, ("C1", "C2")),
        (IssueKind.GAP, ("P",)),
        (IssueKind.OUTSIDE, ("C3", "P")),
    }
    square_m2 = 1_113.2 * 1_105.7
    assert kinds[(IssueKind.OVERLAP, ("C1", "C2"))] == pytest.approx(square_m2 / 8, rel=0.01)
    assert kinds[(IssueKind.GAP, ("P",))] == pytest.approx(square_m2 / 2, rel=0.01)
    assert kinds[(IssueKind.OUTSIDE, ("C3", "P"))] == pytest.approx(square_m2 / 4, rel=0.01)
    assert "overlap: grids C1 and C2 share" in report.lines()[0]


def test_the_nyc_coverage_report_names_marble_hill_and_rikers_island(grids: GridSet) -> None:
    report = check_coverage(grids)
    assert [(issue.kind, issue.codes, round(issue.area_m2, -3)) for issue in report.issues] == [
        (IssueKind.GAP, ("1",), 305_000),  # Marble Hill: Manhattan land, Bronx CDTA BX08
        (IssueKind.GAP, ("2",), 1_688_000),  # Rikers Island: Bronx land, Queens CDTA QN01
        (IssueKind.OUTSIDE, ("BX08", "2"), 305_000),
        (IssueKind.OUTSIDE, ("QN01", "4"), 1_688_000),
    ]


def test_places_must_sit_in_smallest_grids_and_units_in_buildings(grids: GridSet) -> None:
    building = Place("B", "Building", PlaceKind.BUILDING, "MN0101")
    assert check_places(grids, [building, Place("U", "Unit", PlaceKind.UNIT, "MN0101", "B")])
    with pytest.raises(PlaceInvalid, match="not a smallest grid"):
        check_places(grids, [Place("B", "Building", PlaceKind.BUILDING, "MN01")])
    with pytest.raises(PlaceInvalid, match="unit needs a building"):
        check_places(grids, [Place("U", "Unit", PlaceKind.UNIT, "MN0101", "nope")])
    with pytest.raises(PlaceInvalid, match="different grids"):
        check_places(grids, [building, Place("U", "Unit", PlaceKind.UNIT, "MN0102", "B")])


def _collection(*features: tuple[str, shapely.Polygon]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"properties": {"id": code, "name": code}, "geometry": shapely.geometry.mapping(shape)}
            for code, shape in features
        ],
    }


def test_layers_without_a_parent_property_find_parents_by_containment() -> None:
    """The domain parses decoded JSON; storage/geojson_files.py reads the files."""
    top = (LayerSource(Path("top.geojson"), 1, "id", "name"), _collection(("A", _square(0, 0))))
    below = (
        LayerSource(Path("below.geojson"), 2, "id", "name"),
        _collection(("A1", shapely.box(0.1, 0.1, 0.9, 0.9)), ("B1", _square(0.5, 0))),
    )
    layers = parse_layers([below, top])  # any order: parsed from level 1 down
    assert [(s.code, s.parent_code) for s in layers[1].specs] == [("A1", "A"), ("B1", "A")]
    with pytest.raises(LayerInvalid, match="two layers for level 1"):
        parse_layers([top, top])
    outside = (LayerSource(Path("x"), 2, "id", "name"), _collection(("Z1", _square(5, 5))))
    with pytest.raises(LayerInvalid, match=r"'Z1'.*no parent"):
        parse_layers([top, outside])
