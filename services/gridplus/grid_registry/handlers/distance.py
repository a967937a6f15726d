"""How far a point lies from a grid's outline (MeasureDistanceToGrid): dispatch checks a visit's
GPS point against the household's grid with it.

The outline is projected to an azimuthal equidistant plane centred on the point (pyproj), where
the distance from the centre to any other point is true on the ellipsoid, so the nearest edge is
measured in metres, not degrees, at every latitude."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import Point

from gridplus.grid_registry.handlers.grids import check_point, get_grid
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.kit.errors import InvalidArgument


@dataclass(frozen=True)
class Distance:
    inside: bool
    meters: float
    version: int


def measure(snapshot: GridSetSnapshot, *, grid_code: str, lat: float, lon: float) -> Distance:
    """0 m and inside when the outline covers the point (its border counts as inside); else the
    metres to the nearest point of the outline. NotFound for a grid the set does not hold."""
    if not grid_code:
        raise InvalidArgument.single("grid_code", "required")
    check_point(lat, lon, 0.0)
    outline = get_grid(snapshot, grid_code).geometry
    if outline.covers(Point(lon, lat)):
        return Distance(True, 0.0, snapshot.version)
    import pyproj  # ~20 MB: imported by the first distance measured, not at start (issue 13)

    local = pyproj.Proj(proj="aeqd", lat_0=lat, lon_0=lon, datum="WGS84", units="m")
    projected = shapely.transform(outline, lambda x, y: local(x, y), interleaved=False)
    return Distance(False, float(shapely.distance(projected, Point(0.0, 0.0))), snapshot.version)
