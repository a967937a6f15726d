"""Point location: which grid (normally level 3) a GPS point lies in.

Rules every caller can rely on:
- A point belongs to a grid when the grid *covers* it (interior or boundary).
- A point on a shared boundary is covered by several grids; the smallest code wins, so the answer
  never depends on input order, on the batch it came in, or on the run.
- With `tolerance_m`, a point that no grid covers snaps to the nearest grid within that many metres
  (GPS noise at a coastline, rounding at a river). Otherwise the answer is None, which callers turn
  into "out of jurisdiction" rather than guessing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree

from gridplus.grid_registry.domain.grids import MAX_LEVEL, GridError, GridSet, GridSpec
from gridplus.grid_registry.domain.raster import AMBIGUOUS, CellIndex


class InvalidCoordinates(GridError, ValueError):
    """Latitude/longitude that is not a finite WGS84 position."""


@dataclass(frozen=True)
class LocateResult:
    """The grid a point lies in; `snapped` when it was found only within the tolerance."""

    code: str
    snapped: bool = False
    distance_m: float = 0.0


class Locator:
    """An STRtree over grid polygons answering point-in-grid queries, one point or a batch."""

    def __init__(self, grids: Iterable[GridSpec]) -> None:
        # Index order == code order, so "smallest code" is "smallest tree index" (cheap in numpy).
        ordered = sorted(grids, key=lambda spec: spec.code)
        codes = [spec.code for spec in ordered]
        if len(set(codes)) != len(codes):
            raise ValueError("grid codes given to a Locator must be unique")
        self._codes: tuple[str, ...] = tuple(codes)
        self._geometries = np.array([spec.geometry for spec in ordered], dtype=object)
        # Prepared polygons answer covers() with an edge index instead of a full ring scan.
        shapely.prepare(self._geometries)
        self._tree = STRtree(self._geometries)
        # The last slot stands for "no grid" in batch answers.
        self._code_or_none = np.array([*codes, None], dtype=object)
        self._cells = (
            CellIndex(self._geometries, self._exact_covering, none=len(codes)) if codes else None
        )

    @classmethod
    def from_grid_set(cls, grid_set: GridSet, level: int | None = None) -> Locator:
        """A locator over one level: by default the deepest level present (level 3 in a full
        city; a one-level grid set, e.g. community districts alone, locates in its only level)."""
        if level is None:
            level = max((spec.level for spec in grid_set), default=MAX_LEVEL)
        return cls(grid_set.at_level(level))

    @property
    def codes(self) -> tuple[str, ...]:
        return self._codes

    def locate(self, lat: float, lon: float, *, tolerance_m: float = 0.0) -> LocateResult | None:
        """The grid covering (lat, lon), else the nearest within `tolerance_m`, else None."""
        _check_position(lat, lon)
        _check_tolerance(tolerance_m)
        known = AMBIGUOUS if self._cells is None else self._cells.lookup_one(lat, lon)
        if known == AMBIGUOUS:
            point = shapely.Point(lon, lat)
            candidates = self._tree.query(point)
            covering = candidates[shapely.covers(self._geometries[candidates], point)]
            known = int(covering.min()) if covering.size else len(self._codes)
        if known < len(self._codes):
            return LocateResult(self._codes[known])
        if tolerance_m > 0:
            return self._snap(lat, lon, tolerance_m)
        return None

    def locate_many(
        self,
        lats: npt.ArrayLike,
        lons: npt.ArrayLike,
        *,
        tolerance_m: float = 0.0,
    ) -> npt.NDArray[np.object_]:
        """Codes (or None) for many points at once; element i equals `locate(lats[i], lons[i])`.

        Returns an object array shaped like the inputs. Use `locate` for the snapped distance.
        """
        return self.locate_batch(lats, lons, tolerance_m=tolerance_m)[0]

    def locate_batch(
        self,
        lats: npt.ArrayLike,
        lons: npt.ArrayLike,
        *,
        tolerance_m: float = 0.0,
    ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
        """(codes or None, snapped flags), both shaped like the inputs; see `locate_many`."""
        lat_array = np.asarray(lats, dtype=float)
        lon_array = np.asarray(lons, dtype=float)
        if lat_array.shape != lon_array.shape:
            raise InvalidCoordinates(
                f"lats and lons differ in shape: {lat_array.shape} vs {lon_array.shape}"
            )
        _check_positions(lat_array.ravel(), lon_array.ravel())
        _check_tolerance(tolerance_m)
        best = self._best_covering(lat_array.ravel(), lon_array.ravel())
        codes = self._code_or_none[best]
        snapped = np.zeros(len(best), dtype=bool)
        if tolerance_m > 0:
            for index in np.flatnonzero(best == len(self._codes)):
                found = self._snap(
                    float(lat_array.flat[index]), float(lon_array.flat[index]), tolerance_m
                )
                codes[index] = found.code if found else None
                snapped[index] = found is not None
        return codes.reshape(lat_array.shape), snapped.reshape(lat_array.shape)

    def _best_covering(self, lats: np.ndarray, lons: np.ndarray) -> npt.NDArray[np.intp]:
        """Per point, the smallest index of a covering grid, or len(codes) when none covers it."""
        if self._cells is None:
            return self._exact_covering(lats, lons)
        best = self._cells.lookup(lats, lons)
        unsure = np.flatnonzero(best == AMBIGUOUS)
        if unsure.size:
            best[unsure] = self._exact_covering(lats[unsure], lons[unsure])
        return best

    def _exact_covering(self, lats: np.ndarray, lons: np.ndarray) -> npt.NDArray[np.intp]:
        """The exact test: bounding-box candidates from the tree, then one vectorised
        point-in-polygon test on the prepared polygons (for a point, intersects == covers)."""
        points = shapely.points(lons, lats)
        point_index, grid_index = self._tree.query(points)
        hit = shapely.intersects_xy(
            self._geometries[grid_index], lons[point_index], lats[point_index]
        )
        best = np.full(len(points), len(self._codes), dtype=np.intp)
        np.minimum.at(best, point_index[hit], grid_index[hit])
        return best

    def _snap(self, lat: float, lon: float, tolerance_m: float) -> LocateResult | None:
        """The nearest grid within `tolerance_m` metres of a point no grid covers."""
        metres_per_deg_lon, metres_per_deg_lat = _metres_per_degree(lat)
        half_lon = tolerance_m / metres_per_deg_lon
        half_lat = tolerance_m / metres_per_deg_lat
        window = shapely.box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
        origin = np.array([lon, lat])
        scale = np.array([metres_per_deg_lon, metres_per_deg_lat])
        best: tuple[float, int] | None = None
        for index in np.sort(self._tree.query(window)):
            # Local metric frame centred on the point (see _metres_per_degree), so a plain
            # Euclidean distance to the origin is the distance in metres.
            local = shapely.transform(self._geometries[index], lambda xy: (xy - origin) * scale)
            distance = float(shapely.distance(local, _ORIGIN))
            # Strict "<" over code-ordered indices keeps the smaller code on a tie.
            if distance <= tolerance_m and (best is None or distance < best[0]):
                best = (distance, int(index))
        if best is None:
            return None
        return LocateResult(self._codes[best[1]], snapped=True, distance_m=best[0])


_ORIGIN = shapely.Point(0.0, 0.0)


def _metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude on the WGS84 ellipsoid at `lat`.

    A local equirectangular approximation instead of a projection library: near the point, lon/lat
    degrees scale linearly to metres with these two factors (standard series for the ellipsoid's
    meridian and parallel arcs). The scale drifts with latitude away from the point, so the error
    grows with distance: about 1 mm at 100 m and 0.1 m at 1 km at mid latitudes, far below GPS noise
    for snap tolerances of tens to hundreds of metres.
    """
    phi = math.radians(lat)
    per_lat = 111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    per_lon = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    # Keep the window finite at the poles, where a degree of longitude shrinks to nothing.
    return max(per_lon, 1.0), per_lat


def _check_position(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise InvalidCoordinates(f"latitude {lat!r} is not within -90..90")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise InvalidCoordinates(f"longitude {lon!r} is not within -180..180")


def _check_positions(lats: np.ndarray, lons: np.ndarray) -> None:
    # NaN fails both comparisons, so it is caught here too.
    bad = ~((lats >= -90.0) & (lats <= 90.0) & (lons >= -180.0) & (lons <= 180.0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise InvalidCoordinates(
            f"point {index} ({lats[index]!r}, {lons[index]!r}) is not a valid latitude, longitude"
        )


def _check_tolerance(tolerance_m: float) -> None:
    if not (math.isfinite(tolerance_m) and tolerance_m >= 0.0):
        raise ValueError(f"tolerance_m must be a finite number >= 0, got {tolerance_m!r}")
