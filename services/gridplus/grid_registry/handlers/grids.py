"""Queries on the grid set a server holds (handlers/snapshots.py): locating points, one grid,
listings. They work in memory, so locating a point never touches the database."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from gridplus.grid_registry import metrics
from gridplus.grid_registry.domain.grids import MAX_LEVEL, MIN_LEVEL, GridSpec, UnknownGrid
from gridplus.grid_registry.domain.listing import Cursor, GridQuery, Page, page_of, select_grids
from gridplus.grid_registry.domain.locator import InvalidCoordinates, LocateResult
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.kit.errors import FieldViolation, InvalidArgument, NotFound

# One batch message's cap: ~1.6 MB of coordinates, answered in well under a second.
MAX_BATCH_POINTS = 100_000
# Snapping is for GPS noise at a coastline or river, not for claiming far-away points.
MAX_TOLERANCE_METERS = 1000.0
# Map outlines: beyond a kilometre a level-3 grid would lose its shape.
MAX_SIMPLIFY_METERS = 1000.0
_METERS_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Located:
    grid: GridSpec
    path: list[str]
    ancestors: list[GridSpec]
    version: int
    snapped: bool
    distance_m: float


def locate(
    snapshot: GridSetSnapshot, *, lat: float, lon: float, tolerance_m: float = 0.0
) -> Located:
    """The level-3 grid containing the point; NotFound ("out of jurisdiction") when none does."""
    return located(snapshot, locate_point(snapshot, lat=lat, lon=lon, tolerance_m=tolerance_m))


def locate_point(
    snapshot: GridSetSnapshot, *, lat: float, lon: float, tolerance_m: float = 0.0
) -> LocateResult:
    """The code of the grid containing the point (checked and counted as `locate` does), for a
    caller that answers from what it built for that grid before (api/grpc.py)."""
    check_point(lat, lon, tolerance_m)
    started = time.perf_counter()
    result = snapshot.locator.locate(lat, lon, tolerance_m=tolerance_m)
    outcome = (
        metrics.OUT_OF_JURISDICTION
        if result is None
        else metrics.SNAPPED
        if result.snapped
        else metrics.FOUND
    )
    metrics.LOCATE_SECONDS_BY_OUTCOME[outcome].observe(time.perf_counter() - started)
    metrics.LOCATES_BY_OUTCOME[outcome].inc()
    if result is None:
        within = f" within {tolerance_m:g} m" if tolerance_m > 0 else ""
        raise NotFound(f"out of jurisdiction: no grid contains ({lat}, {lon}){within}")
    return result


def located(snapshot: GridSetSnapshot, result: LocateResult) -> Located:
    """The grid of a located point with its path and ancestors."""
    grids = snapshot.grids
    return Located(
        grid=grids.get(result.code),
        path=grids.path(result.code),
        ancestors=grids.ancestors(result.code),
        version=snapshot.version,
        snapped=result.snapped,
        distance_m=result.distance_m,
    )


def locate_batch(
    snapshot: GridSetSnapshot,
    lats: Sequence[float],
    lons: Sequence[float],
    *,
    tolerance_m: float = 0.0,
) -> tuple[list[str], list[bool]]:
    """Smallest-grid codes ("" = out of jurisdiction) and snapped flags for a batch of points."""
    if len(lats) != len(lons):
        raise InvalidArgument.single(
            "lons", f"needs one longitude per latitude: got {len(lons)} for {len(lats)}"
        )
    if len(lats) > MAX_BATCH_POINTS:
        raise InvalidArgument.single(
            "lats", f"at most {MAX_BATCH_POINTS:,} points per message, got {len(lats):,}"
        )
    check_point(0.0, 0.0, tolerance_m)
    try:
        codes, snapped = snapshot.locator.locate_batch(
            np.asarray(lats, dtype=float), np.asarray(lons, dtype=float), tolerance_m=tolerance_m
        )
    except InvalidCoordinates as exc:
        raise InvalidArgument.single("lats", str(exc)) from exc
    found = [code or "" for code in codes.tolist()]
    misses = found.count("")
    flags = snapped.tolist()
    snaps = sum(flags)
    metrics.LOCATES.labels(metrics.OUT_OF_JURISDICTION).inc(misses)
    metrics.LOCATES.labels(metrics.SNAPPED).inc(snaps)
    metrics.LOCATES.labels(metrics.FOUND).inc(len(found) - misses - snaps)
    return found, flags


def get_grid(snapshot: GridSetSnapshot, code: str) -> GridSpec:
    if not code:
        raise InvalidArgument.single("code", "required")
    try:
        return snapshot.grids.get(code)
    except UnknownGrid:
        raise NotFound(f"grid {code!r} not found in grid set {snapshot.version}") from None


def list_grids(
    snapshot: GridSetSnapshot, query: GridQuery, *, after: Cursor | None, size: int
) -> Page:
    if query.level is not None and not MIN_LEVEL <= query.level <= MAX_LEVEL:
        raise InvalidArgument.single("level", "must be 1, 2 or 3 (0 for any level)")
    if query.parent_code is not None:
        get_grid(snapshot, query.parent_code)
    return page_of(select_grids(snapshot.grids, query), after=after, size=size)


def boundaries(
    snapshot: GridSetSnapshot, query: GridQuery, *, simplify_m: float
) -> list[tuple[GridSpec, str]]:
    """The matching grids with their outlines as GeoJSON text, simplified to within about
    `simplify_m` metres (0 = as stored). Degrees per metre are taken at the equator's
    111,320 m per degree, so the outline is never simplified more than asked."""
    if not (math.isfinite(simplify_m) and 0.0 <= simplify_m <= MAX_SIMPLIFY_METERS):
        raise InvalidArgument.single(
            "simplify_meters", f"must be from 0 to {MAX_SIMPLIFY_METERS:g} metres"
        )
    found = list_grids(snapshot, query, after=None, size=len(snapshot.grids) + 1).grids
    tolerance = simplify_m / _METERS_PER_DEGREE
    return [(spec, _geojson(spec.geometry, tolerance)) for spec in found]


def _geojson(geometry: BaseGeometry, tolerance: float) -> str:
    shape = geometry.simplify(tolerance, preserve_topology=True) if tolerance > 0 else geometry
    return json.dumps(mapping(shape), separators=(",", ":"))


def check_point(lat: float, lon: float, tolerance_m: float) -> None:
    violations = []
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        violations.append(FieldViolation("lat", f"must be a latitude within -90..90, got {lat}"))
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        violations.append(FieldViolation("lon", f"must be a longitude within -180..180, got {lon}"))
    if not (math.isfinite(tolerance_m) and 0.0 <= tolerance_m <= MAX_TOLERANCE_METERS):
        violations.append(
            FieldViolation(
                "tolerance_meters",
                f"must be between 0 and {MAX_TOLERANCE_METERS:g} metres, got {tolerance_m}",
            )
        )
    if violations:
        raise InvalidArgument(violations)
