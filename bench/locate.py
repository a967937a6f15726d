"""Grid location on the demo city's 262 level-3 grids, in process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

from gridplus.grid_registry.domain.grids import GridSet
from gridplus.grid_registry.domain.locator import Locator
from gridplus.grid_registry.storage.geojson_files import load_nyc_demo

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "nyc"
NYC_BBOX = (-74.255591, 40.496134, -73.700009, 40.915533)


def _grid_set() -> GridSet:
    return GridSet(load_nyc_demo(DEMO))


def sample_points(count: int, seed: int = 7) -> list[tuple[float, float]]:
    """(lat, lon) points spread over the level-3 grids: one inside each, round-robin."""
    grids = _grid_set().at_level(3)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(grids), size=count)
    points = [shapely.get_coordinates(grids[i].geometry.representative_point())[0] for i in chosen]
    return [(float(lat), float(lon)) for lon, lat in points]


def _best_of(runs: int, work: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def report(batch: int = 100_000, single: int = 20_000) -> dict[str, tuple[float, str]]:
    grid_set = _grid_set()
    locator = Locator.from_grid_set(grid_set)
    rng = np.random.default_rng(11)
    lons = rng.uniform(NYC_BBOX[0], NYC_BBOX[2], batch)
    lats = rng.uniform(NYC_BBOX[1], NYC_BBOX[3], batch)
    tree = STRtree([spec.geometry for spec in grid_set.at_level(3)])
    points = shapely.points(lons, lats)

    ours = _best_of(3, lambda: locator.locate_many(lats, lons))
    theirs = _best_of(3, lambda: tree.query(points, predicate="within"))
    print(
        f"batch of {batch:,} points: Locator.locate_many {batch / ours:,.0f} points/s; "
        f"shapely STRtree.query(predicate='within') {batch / theirs:,.0f} points/s"
    )
    pairs = list(zip(lats[:single].tolist(), lons[:single].tolist(), strict=True))
    singles = list(points[:single])
    ours_one = _best_of(3, lambda: [locator.locate(lat, lon) for lat, lon in pairs])
    theirs_one = _best_of(3, lambda: [tree.query(p, predicate="within") for p in singles])
    print(
        f"one point at a time ({single:,}): Locator.locate {single / ours_one:,.0f} points/s; "
        f"shapely STRtree.query {single / theirs_one:,.0f} points/s "
        f"(ours takes {ours_one / theirs_one:.2f}× shapely's time)"
    )
    return {
        "locate.batch": (batch / ours, "points/s"),
        "locate.one_at_a_time": (single / ours_one, "points/s"),
    }
