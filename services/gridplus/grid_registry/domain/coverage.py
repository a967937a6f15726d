"""Coverage validation: do the grids tile their parents without gaps or overlaps ("无缝对接")?

Three kinds of issue, each with the grid codes and an area in square metres:
- overlap: two grids with the same parent (or two level-1 grids) share area;
- gap: part of a parent that none of its children covers;
- outside: part of a child lying outside its parent.

Areas are measured after projecting lon/lat onto a Lambert azimuthal equal-area plane centred on
the grid set (pyproj), so a square metre is a square metre anywhere in the city — degrees are not
an area unit. Pieces smaller than `min_area_m2` are ignored: boundaries rounded to 6 decimals
(~0.1 m) leave hairline slivers along every shared edge that are noise, not findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from gridplus.grid_registry.domain.grids import GridSet, GridSpec

# Hairline slivers from 6-decimal rounding stay far below this; a real gap (a block, a pier) is
# thousands of square metres.
DEFAULT_MIN_AREA_M2 = 100.0


class IssueKind(StrEnum):
    OVERLAP = "overlap"
    GAP = "gap"
    OUTSIDE = "outside"


@dataclass(frozen=True)
class CoverageIssue:
    kind: IssueKind
    # overlap: the two grids (smaller code first); gap: the parent; outside: (child, parent).
    codes: tuple[str, ...]
    area_m2: float

    def describe(self) -> str:
        area = f"{self.area_m2:,.0f} m²"
        if self.kind is IssueKind.OVERLAP:
            return f"overlap: grids {self.codes[0]} and {self.codes[1]} share {area}"
        if self.kind is IssueKind.GAP:
            return f"gap: {area} of grid {self.codes[0]} is covered by none of its children"
        return f"outside: {area} of grid {self.codes[0]} lies outside its parent {self.codes[1]}"


@dataclass(frozen=True)
class CoverageReport:
    issues: tuple[CoverageIssue, ...]
    grid_count: int
    min_area_m2: float

    @property
    def ok(self) -> bool:
        return not self.issues

    def of_kind(self, kind: IssueKind) -> list[CoverageIssue]:
        return [issue for issue in self.issues if issue.kind is kind]

    def lines(self) -> list[str]:
        if self.ok:
            return [
                f"coverage ok: {self.grid_count} grids tile their parents "
                f"(pieces under {self.min_area_m2:g} m² ignored)"
            ]
        return [issue.describe() for issue in self.issues]


class EqualAreaProjection:
    """lon/lat -> metres on a Lambert azimuthal equal-area plane centred at (lon_0, lat_0)."""

    def __init__(self, lon_0: float, lat_0: float) -> None:
        import pyproj  # ~20 MB, for imports and gridctl only: not in a serving process's memory

        crs = pyproj.CRS.from_proj4(
            f"+proj=laea +lat_0={lat_0:.6f} +lon_0={lon_0:.6f} +datum=WGS84 +units=m +no_defs"
        )
        self._transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    @classmethod
    def centred_on(cls, geometries: Iterable[BaseGeometry]) -> EqualAreaProjection:
        bounds = shapely.total_bounds(np.array(list(geometries), dtype=object))
        return cls((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, self._xy)

    def area_m2(self, geometry: BaseGeometry) -> float:
        return float(shapely.area(self.project(geometry)))

    def _xy(self, coordinates: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = self._transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([x, y])


def check_coverage(
    grid_set: GridSet, *, min_area_m2: float = DEFAULT_MIN_AREA_M2
) -> CoverageReport:
    """Every overlap, gap and outside piece of at least `min_area_m2`, in a stable order."""
    specs = list(grid_set)
    if not specs:
        return CoverageReport((), 0, min_area_m2)
    projection = EqualAreaProjection.centred_on(spec.geometry for spec in specs)
    # Project once; all set operations then happen in metres.
    planar = {spec.code: shapely.make_valid(projection.project(spec.geometry)) for spec in specs}
    issues: list[CoverageIssue] = []
    roots = grid_set.at_level(min(spec.level for spec in specs))
    issues += _overlaps(roots, planar, min_area_m2)
    for parent in specs:
        children = grid_set.children(parent.code)
        if not children:
            continue
        issues += _overlaps(children, planar, min_area_m2)
        outside = _outside(parent, children, planar)
        issues += _gap(parent, children, planar, sum(outside.values()), min_area_m2)
        issues += [
            CoverageIssue(IssueKind.OUTSIDE, (code, parent.code), area)
            for code, area in outside.items()
            if area >= min_area_m2
        ]
    return CoverageReport(tuple(issues), len(specs), min_area_m2)


def _overlaps(
    siblings: list[GridSpec], planar: dict[str, BaseGeometry], min_area_m2: float
) -> list[CoverageIssue]:
    geometries = [planar[spec.code] for spec in siblings]
    tree = STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    found = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        area = float(shapely.area(shapely.intersection(geometries[i], geometries[j])))
        if area >= min_area_m2:
            codes = tuple(sorted((siblings[i].code, siblings[j].code)))
            found.append(CoverageIssue(IssueKind.OVERLAP, codes, area))
    return sorted(found, key=lambda issue: issue.codes)


def _gap(
    parent: GridSpec,
    children: list[GridSpec],
    planar: dict[str, BaseGeometry],
    outside_m2: float,
    min_area_m2: float,
) -> list[CoverageIssue]:
    # Area arithmetic instead of parent - union(children): that difference on a borough-sized
    # polygon costs seconds. The union lies inside the parent except for its outside pieces, so
    # gap = area(parent) - (area(union) - outside).
    covered = shapely.union_all([planar[child.code] for child in children])
    area = float(shapely.area(planar[parent.code]) - shapely.area(covered)) + outside_m2
    return [CoverageIssue(IssueKind.GAP, (parent.code,), area)] if area >= min_area_m2 else []


def _outside(
    parent: GridSpec, children: list[GridSpec], planar: dict[str, BaseGeometry]
) -> dict[str, float]:
    """Per child, its area outside the parent (0.0 when it lies within)."""
    boundary = planar[parent.code]
    shapely.prepare(boundary)
    areas = {}
    for child in children:
        geometry = planar[child.code]
        # The prepared containment test skips the costly difference for children well inside.
        inside = shapely.contains_properly(boundary, geometry)
        areas[child.code] = (
            0.0 if inside else float(shapely.area(shapely.difference(geometry, boundary)))
        )
    return areas
