"""gridctl import and validate: the NYC layers, the 311 rows, and bad input that changes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gridplus.grid_registry import cli
from gridplus.grid_registry.handlers import grids, snapshots
from gridplus.grid_registry.storage import repository
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from tests.integration.grid_registry.conftest import NYC_DIR

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[2] / "data" / "grid_registry"
BOROUGH_NUMBER = {"MANHATTAN": 1, "BRONX": 2, "BROOKLYN": 3, "QUEENS": 4, "STATEN ISLAND": 5}
NYC_LAYERS = [
    f"path={NYC_DIR}/nyc_boroughs_dcp24c.geojson,level=1,code=BoroCode,name=BoroName",
    # No parent property: each CDTA finds its borough by containment.
    f"path={NYC_DIR}/nyc_cdta2020_dcp24c.geojson,level=2,code=CDTA2020,name=CDTAName",
    f"path={NYC_DIR}/nyc_nta2020_dcp24c.geojson,level=3,code=NTA2020,name=NTAName,parent=CDTA2020",
]


def gridctl(*args: str) -> int:
    return cli.main(list(args))


def layers(*specs: str) -> list[str]:
    return [part for spec in specs for part in ("--layer", spec)]


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """gridctl's database, from the environment alone: no JWT secret, no broker."""
    url = f"sqlite:///{tmp_path}/grid_registry.db"
    monkeypatch.setenv("GRIDPLUS_GRID_REGISTRY_DATABASE_URL", url)
    monkeypatch.delenv("GRIDPLUS_JWT_SECRET", raising=False)
    return url


def stored(url: str) -> tuple[int | None, int]:
    """(current version, grid count) of the registry."""
    engine = create_database_engine(url)
    try:
        with transaction(create_session_factory(engine)) as session:
            snapshot = snapshots.load_current(session)
            version = repository.current_version(session)
    finally:
        engine.dispose()
    return version, 0 if snapshot is None else len(snapshot.grids)


def test_nyc_three_layers_give_5_71_262_and_the_marble_hill_report(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gridctl("import", *layers(*NYC_LAYERS)) == 0
    out, err = capsys.readouterr()
    assert "imported grid set version 1: 338 grids" in out
    # Marble Hill: in the Manhattan borough polygon, but in Bronx CDTA BX08.
    assert "gap: 304,926 m² of grid 1 is covered by none of its children" in out
    assert "outside: 304,926 m² of grid BX08 lies outside its parent 2" in out
    # Rikers Island: Bronx borough land in Queens CDTA QN01.
    assert "outside: 1,687,509 m² of grid QN01 lies outside its parent 4" in out
    assert "repaired QN0701: Self-intersection" in err
    assert gridctl("list", "--level", "2") == 0
    listing = capsys.readouterr()
    assert "71 grids" in listing.err
    assert "BX08     2  2 " in listing.out  # containment put BX08 under the Bronx
    engine = create_database_engine(database)
    with transaction(create_session_factory(engine)) as session:
        snapshot = snapshots.load_current(session)
    engine.dispose()
    assert snapshot is not None
    assert [len(snapshot.grids.at_level(level)) for level in (1, 2, 3)] == [5, 71, 262]
    assert gridctl("validate") == 0
    assert "BX08" in capsys.readouterr().out


def test_311_rows_land_in_their_own_community_district(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    districts = DATA / "nyc_community_districts_simplified.geojson"
    assert gridctl("import", *layers(f"path={districts},level=1,code=BoroCD,name=BoroCD")) == 0
    assert "coverage ok: 71 grids" in capsys.readouterr().out
    engine = create_database_engine(database)
    with transaction(create_session_factory(engine)) as session:
        snapshot = snapshots.load_current(session)
    engine.dispose()
    assert snapshot is not None
    expected, lats, lons = [], [], []
    with open(DATA / "nyc311_points.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            number, _, borough = row["community_board"].partition(" ")
            if borough in BOROUGH_NUMBER and number.isdigit():
                expected.append(str(BOROUGH_NUMBER[borough] * 100 + int(number)))
                lats.append(float(row["latitude"]))
                lons.append(float(row["longitude"]))
    codes, _ = grids.locate_batch(snapshot, lats, lons)
    hits = sum(code == want for code, want in zip(codes, expected, strict=True))
    assert len(expected) > 3000
    assert hits / len(expected) >= 0.99, f"{hits}/{len(expected)}"


def square(code: str, x: float, y: float, **properties: object) -> dict:
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Grid {code}", **properties},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def write(path: Path, *features: dict) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return str(path)


BOWTIE = {
    "type": "Feature",
    "properties": {"code": "A3", "name": "Bow tie", "parent": "A"},
    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
}
BAD_CHILDREN = {
    "latitude 200": (
        [square("A1", 0, 0, parent="A"), square("A2", 0, 199.5, parent="A")],
        "feature 'A2': coordinate (lon 0, lat 199.5) is not WGS84",
    ),
    "empty polygon": (
        [
            square("A1", 0, 0, parent="A"),
            {
                "type": "Feature",
                "properties": {"code": "A2", "name": "Empty", "parent": "A"},
                "geometry": {"type": "Polygon", "coordinates": []},
            },
        ],
        "feature 'A2': geometry is empty",
    ),
    "self-intersecting ring": (
        [square("A1", 0, 0, parent="A"), BOWTIE],
        "feature 'A3': invalid geometry: Self-intersection",
    ),
    "unknown parent": (
        [square("A1", 0, 0, parent="A"), square("Z1", 0, 0.5, parent="Z")],
        "grids[Z1]: parent 'Z' does not exist",
    ),
    "duplicate code": (
        [square("A1", 0, 0, parent="A"), square("A1", 0.5, 0, parent="A")],
        "grids[A1]: duplicate grid code",
    ),
}


@pytest.mark.parametrize("case", BAD_CHILDREN)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    case: str, database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = write(tmp_path / "top.geojson", square("A", 0, 0), square("B", 1, 0))
    good = write(tmp_path / "good.geojson", square("A1", 0, 0, parent="A"))
    top_layer = f"path={top},level=1,code=code,name=name"
    assert (
        gridctl(
            "import", *layers(top_layer, f"path={good},level=2,code=code,name=name,parent=parent")
        )
        == 0
    )
    before = stored(database)
    assert before == (1, 3)
    capsys.readouterr()

    features, message = BAD_CHILDREN[case]
    bad = write(tmp_path / "bad.geojson", *features)
    bad_layer = f"path={bad},level=2,code=code,name=name,parent=parent"
    assert gridctl("import", "--refuse-invalid", *layers(top_layer, bad_layer)) == 1
    assert message in capsys.readouterr().err
    assert stored(database) == before


def test_a_self_intersecting_ring_is_repaired_by_default(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = write(tmp_path / "top.geojson", square("A", 0, 0))
    child = write(tmp_path / "child.geojson", BOWTIE)
    assert (
        gridctl(
            "import",
            *layers(
                f"path={top},level=1,code=code,name=name",
                f"path={child},level=2,code=code,name=name,parent=parent",
            ),
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "repaired A3: Self-intersection" in err
    # The repaired bow tie covers half of its parent: reported, with square metres.
    assert "gap: " in out and " m² of grid A is covered by none of its children" in out


def test_a_latitude_of_200_is_refused_by_locate(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = write(tmp_path / "top.geojson", square("A", 0, 0))
    assert gridctl("import", *layers(f"path={top},level=1,code=code,name=name")) == 0
    capsys.readouterr()
    assert gridctl("locate", "200", "0.5") == 1
    assert "lat: must be a latitude within -90..90, got 200.0" in capsys.readouterr().err
    assert gridctl("locate", "0.5", "0.5") == 0
    assert capsys.readouterr().out.startswith("A  Grid A")


def test_dry_run_validates_without_importing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = write(tmp_path / "top.geojson", square("A", 0, 0), square("B", 0.5, 0))
    assert gridctl("import", "--dry-run", *layers(f"path={top},level=1,code=code,name=name")) == 0
    out = capsys.readouterr().out
    assert "overlap: grids A and B share" in out and "nothing was imported" in out
    assert gridctl("list") == 1
    assert "no grid set has been imported yet" in capsys.readouterr().err
