"""Copy the slices of ../shared/data that grid-registry's tests need into tests/data/grid_registry.

Run once by a developer; the output is committed so CI needs no ../shared:

    .venv/bin/python -m tools.gen_registry_test_data [--shared ../shared/data]

- nyc311_points.csv: unique key, latitude, longitude and community board of every NYC 311 row
  with coordinates in the two one-day slices (NYC Open Data erm2-nwe9; ../shared/data/README.md).
- nyc_community_districts_simplified.geojson: the 71 DCP 24C community districts (BoroCD only),
  simplified with shapely.coverage_simplify (shared edges stay shared, so no gaps or overlaps
  appear between districts) and rounded to 6 decimals: ~10x smaller than the 2.2 MB original.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "grid_registry"
NYC_FILES = (
    ("nyc311_2013-12-25_nikeiubel.csv", "Unique Key", "Latitude", "Longitude", "Community Board"),
    ("nyc311_2025-10-13_mohrum12.csv", "unique_key", "latitude", "longitude", "community_board"),
)
# Degrees; about 10 m in New York. Far below the distance of most 311 points to a district edge.
SIMPLIFY_TOLERANCE = 0.0001


def points(shared: Path) -> None:
    with open(OUT / "nyc311_points.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "unique_key", "latitude", "longitude", "community_board"])
        for name, key, lat, lon, board in NYC_FILES:
            with open(shared / name, encoding="utf-8", newline="") as source:
                for row in csv.DictReader(source):
                    if row[lat].strip() and row[lon].strip():
                        writer.writerow([name, row[key], row[lat], row[lon], row[board]])


def districts(shared: Path) -> None:
    collection = json.loads((shared / "nyc_community_districts_dcp24c.geojson").read_text())
    features = collection["features"]
    geometries = np.array([_polygonal(shapely.geometry.shape(f["geometry"])) for f in features])
    # The array is one coverage: shared edges are simplified once, identically on both sides.
    coverage = shapely.coverage_simplify(geometries, SIMPLIFY_TOLERANCE)
    simplified = shapely.set_precision(coverage, 1e-6)
    out = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"BoroCD": feature["properties"]["BoroCD"]},
                "geometry": json.loads(shapely.to_geojson(geometry)),
            }
            for feature, geometry in zip(features, simplified, strict=True)
        ],
    }
    text = json.dumps(out, separators=(",", ":"))
    (OUT / "nyc_community_districts_simplified.geojson").write_text(text)


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """make_valid, keeping only polygons (one district's repair also yields a stray line)."""
    parts = shapely.get_parts(shapely.make_valid(geometry))
    return shapely.union_all(
        [part for part in parts if part.geom_type in ("Polygon", "MultiPolygon")]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.gen_registry_test_data")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    points(args.shared)
    districts(args.shared)


if __name__ == "__main__":
    main()
