"""Dispatch locating points in the outlines grid-registry serves (ListGridBoundaries) gives
grid-registry's own LocateGrid answer, point for point, on the NYC demo city: inside, outside,
on shared borders and on vertices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from gridplus.dispatch.domain.outlines import GridOutlines
from gridplus.dispatch.domain.places import GridPlace
from gridplus.grid_registry.domain.grids import GridSet
from gridplus.grid_registry.domain.listing import GridQuery
from gridplus.grid_registry.domain.locator import Locator
from gridplus.grid_registry.handlers.grids import boundaries
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.grid_registry.storage.geojson_files import load_nyc_demo

DEMO = Path(__file__).resolve().parents[3] / "data" / "demo" / "nyc"
BBOX = (-74.30, 40.45, -73.65, 40.95)  # the city and some water and New Jersey around it
VERSION = 7


@pytest.fixture(scope="module")
def city() -> tuple[GridSet, Locator, GridOutlines]:
    grids = GridSet(load_nyc_demo(DEMO))
    locator = Locator.from_grid_set(grids)
    snapshot = GridSetSnapshot(VERSION, grids, locator)
    served = boundaries(snapshot, GridQuery(None, 3), simplify_m=0.0)  # ListGridBoundaries' text
    outlines = GridOutlines(
        VERSION,
        (
            (GridPlace(spec.code, spec.level, tuple(grids.path(spec.code)), VERSION), geojson)
            for spec, geojson in served
        ),
    )
    return grids, locator, outlines


def points(grids: GridSet) -> list[tuple[float, float]]:
    """Random points over the city, and every vertex and edge midpoint of 40 level-3 grids
    (on their borders, most of them shared with a neighbour)."""
    rng = np.random.default_rng(13)
    lons = rng.uniform(BBOX[0], BBOX[2], 6000)
    lats = rng.uniform(BBOX[1], BBOX[3], 6000)
    found = [(float(lat), float(lon)) for lat, lon in zip(lats, lons, strict=True)]
    for spec in grids.at_level(3)[::7][:40]:
        ring = shapely.get_coordinates(spec.geometry.boundary)
        found += [(float(lat), float(lon)) for lon, lat in ring[::3]]
        middles = (ring[:-1] + ring[1:]) / 2
        found += [(float(lat), float(lon)) for lon, lat in middles[::5]]
    return found


def test_the_outlines_locate_every_point_as_grid_registry_does(
    city: tuple[GridSet, Locator, GridOutlines],
) -> None:
    grids, locator, outlines = city
    checked = 0
    for lat, lon in points(grids):
        theirs = locator.locate(lat, lon)
        ours = outlines.locate(lat, lon)
        assert (ours.code if ours else None) == (theirs.code if theirs else None), (lat, lon)
        if ours is not None:
            assert ours.path == tuple(grids.path(ours.code))
            assert ours.grid_set_version == VERSION
        checked += 1
    assert checked > 8000
    assert len(outlines) == len(grids.at_level(3)) == 262
