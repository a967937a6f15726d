"""Where a point lies, answered in dispatch from the level-3 outlines of one grid-set version, as
grid-registry gave them (ListGridBoundaries), by grid-registry's own rule (its domain/locator.py):
the grid whose outline covers the point (interior or boundary); on a shared boundary the smallest
code; otherwise none (out of jurisdiction: routing never snaps a point to a grid).

The outlines come as GeoJSON text written with Python's shortest round-trip float repr and are
read back with `json` (correctly rounded), so every vertex is the registry's exact double and the
covers test gives the registry's answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import shape

from gridplus.dispatch.domain.places import GridPlace


class GridOutlines:
    """The level-3 grids of one grid-set version with their outlines, answering point location."""

    def __init__(self, version: int, outlines: Iterable[tuple[GridPlace, str]]) -> None:
        # Index order == code order, so "smallest code" is "smallest index", as in the registry.
        ordered = sorted(outlines, key=lambda outline: outline[0].code)
        self.version = version
        self._places = tuple(place for place, _ in ordered)
        self._geometries = np.array(
            [shape(json.loads(geojson)) for _, geojson in ordered], dtype=object
        )
        shapely.prepare(self._geometries)
        self._tree = STRtree(self._geometries)

    def __len__(self) -> int:
        return len(self._places)

    def locate(self, lat: float, lon: float) -> GridPlace | None:
        """The level-3 grid covering (lat, lon); None when no grid covers it."""
        point = shapely.Point(lon, lat)
        candidates = self._tree.query(point)
        covering = candidates[shapely.covers(self._geometries[candidates], point)]
        return self._places[int(covering.min())] if covering.size else None
