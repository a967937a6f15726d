"""Turn GeoJSON FeatureCollections of polygons into `GridSpec`s, one layer (grid level) at a time.

Pure: it parses decoded JSON (storage/geojson_files.py reads the files). Invalid geometry
(self-intersecting rings are common in real city data) is either repaired with shapely's
`make_valid`, keeping only the polygonal parts, and reported, or refused with an error naming the
feature's code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from gridplus.grid_registry.domain.grids import GridError, GridSpec

Feature = Mapping[str, Any]
ParentOf = Callable[[Feature], str | None]

# CDTA codes start with the borough's letters; boroughs are coded 1..5 in DCP data.
NYC_BOROUGH_BY_PREFIX = {"MN": "1", "BX": "2", "BK": "3", "QN": "4", "SI": "5"}


class OnInvalid(Enum):
    REPAIR = "repair"
    REFUSE = "refuse"


class LayerInvalid(GridError):
    """A feature or the collection cannot become a grid; `code` names the feature when known."""

    def __init__(self, code: str | None, reason: str) -> None:
        where = f"feature {code!r}" if code is not None else "layer"
        super().__init__(f"{where}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class GeometryRepair:
    """What `make_valid` changed for one feature: why it was invalid and the area before/after."""

    code: str
    problem: str
    area_before: float
    area_after: float


@dataclass(frozen=True)
class LoadedLayer:
    specs: tuple[GridSpec, ...]
    repairs: tuple[GeometryRepair, ...]


def parse_layer(
    collection: Mapping[str, Any],
    *,
    level: int,
    code_property: str,
    name_property: str,
    parent_property: str | None = None,
    parent_of: ParentOf | None = None,
    on_invalid: OnInvalid = OnInvalid.REPAIR,
) -> LoadedLayer:
    """Parse a FeatureCollection (already decoded JSON) into the grids of one level.

    The parent comes from `parent_property` or from `parent_of(feature)`; give neither at level 1.
    Codes are strings (numeric codes such as BoroCode 1 become "1").
    """
    if parent_property is not None and parent_of is not None:
        raise ValueError("give parent_property or parent_of, not both")
    if collection.get("type") != "FeatureCollection":
        raise LayerInvalid(None, "expected a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list):
        raise LayerInvalid(None, "the FeatureCollection has no features list")
    specs: list[GridSpec] = []
    repairs: list[GeometryRepair] = []
    for index, feature in enumerate(features):
        properties = feature.get("properties") or {}
        code = _required_text(properties, code_property, f"#{index}")
        name = _required_text(properties, name_property, code)
        parent = _parent_code(feature, properties, parent_property, parent_of, code)
        geometry, repair = _polygonal_geometry(feature.get("geometry"), code, on_invalid)
        if repair is not None:
            repairs.append(repair)
        specs.append(GridSpec(code, name, level, parent, geometry))
    return LoadedLayer(tuple(specs), tuple(repairs))


def parse_nyc_demo_layers(
    boroughs: Mapping[str, Any],
    cdtas: Mapping[str, Any],
    ntas: Mapping[str, Any],
    on_invalid: OnInvalid = OnInvalid.REPAIR,
) -> list[LoadedLayer]:
    """The NYC demo city: boroughs (level 1), CDTA2020 (level 2), NTA2020 (level 3)."""
    return [
        parse_layer(
            boroughs,
            level=1,
            code_property="BoroCode",
            name_property="BoroName",
            on_invalid=on_invalid,
        ),
        parse_layer(
            cdtas,
            level=2,
            code_property="CDTA2020",
            name_property="CDTAName",
            parent_of=_nyc_borough_of_cdta,
            on_invalid=on_invalid,
        ),
        parse_layer(
            ntas,
            level=3,
            code_property="NTA2020",
            name_property="NTAName",
            parent_property="CDTA2020",
            on_invalid=on_invalid,
        ),
    ]


def _nyc_borough_of_cdta(feature: Feature) -> str | None:
    code = str(feature.get("properties", {}).get("CDTA2020", ""))
    return NYC_BOROUGH_BY_PREFIX.get(code[:2])


def _required_text(properties: Mapping[str, Any], key: str, code: str) -> str:
    value = properties.get(key)
    text = "" if value is None else str(value).strip()
    if not text:
        raise LayerInvalid(code, f"property {key!r} is missing or empty")
    return text


def _parent_code(
    feature: Feature,
    properties: Mapping[str, Any],
    parent_property: str | None,
    parent_of: ParentOf | None,
    code: str,
) -> str | None:
    if parent_property is not None:
        return _required_text(properties, parent_property, code)
    if parent_of is not None:
        return parent_of(feature)
    return None


def _polygonal_geometry(
    raw: Any, code: str, on_invalid: OnInvalid
) -> tuple[BaseGeometry, GeometryRepair | None]:
    if not isinstance(raw, Mapping) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw.get("type") if isinstance(raw, Mapping) else type(raw).__name__
        raise LayerInvalid(code, f"geometry must be a Polygon or MultiPolygon, got {kind}")
    try:
        geometry = shapely.force_2d(shape(raw))
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise LayerInvalid(code, f"unreadable geometry: {exc}") from exc
    if geometry.is_empty:
        raise LayerInvalid(code, "geometry is empty")
    _check_wgs84(geometry, code)
    if geometry.is_valid:
        return geometry, None
    problem = explain_validity(geometry)
    if on_invalid is OnInvalid.REFUSE:
        raise LayerInvalid(code, f"invalid geometry: {problem}")
    repaired = _polygonal_parts(shapely.make_valid(geometry))
    if repaired.is_empty:
        raise LayerInvalid(code, f"invalid geometry with no polygonal part left: {problem}")
    return repaired, GeometryRepair(code, problem, geometry.area, repaired.area)


def _check_wgs84(geometry: BaseGeometry, code: str) -> None:
    """GeoJSON is WGS84 lon/lat (RFC 7946): anything else is refused, not guessed."""
    coordinates = shapely.get_coordinates(geometry)
    lons, lats = coordinates[:, 0], coordinates[:, 1]
    bad = ~((lats >= -90.0) & (lats <= 90.0) & (lons >= -180.0) & (lons <= 180.0))
    if bad.any():
        lon, lat = coordinates[int(bad.argmax())]
        raise LayerInvalid(
            code,
            f"coordinate (lon {lon:g}, lat {lat:g}) is not WGS84 longitude/latitude "
            "(GeoJSON positions are [longitude, latitude], longitude -180..180, latitude -90..90)",
        )


def _polygonal_parts(geometry: BaseGeometry) -> BaseGeometry:
    """Keep the polygons of a make_valid result; its lines and points are collapsed slivers."""
    polygons = _polygons_in(geometry)
    if len(polygons) == 1:
        return polygons[0]
    merged = MultiPolygon(polygons)
    # Parts that touch along an edge make an invalid MultiPolygon; dissolving them fixes that.
    return merged if merged.is_valid else shapely.union_all(polygons)


def _polygons_in(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    if isinstance(geometry, MultiPolygon | GeometryCollection):
        return [polygon for part in geometry.geoms for polygon in _polygons_in(part)]
    return []


# -- generic layers (gridctl import) -------------------------------------------------------------


@dataclass(frozen=True)
class LayerSource:
    """Where one layer comes from and how to read it; no parent property = parent by containment."""

    path: Path
    level: int
    code_property: str
    name_property: str
    parent_property: str | None = None


def parse_layers(
    layers: Sequence[tuple[LayerSource, Mapping[str, Any]]],
    on_invalid: OnInvalid = OnInvalid.REPAIR,
) -> list[LoadedLayer]:
    """Parse layers (each source with its decoded FeatureCollection) from level 1 down; a layer
    without a parent property finds each grid's parent in the layer above by containment (the
    parent sharing the largest area with it)."""
    loaded: dict[int, LoadedLayer] = {}
    for source, collection in sorted(layers, key=lambda layer: layer[0].level):
        if source.level in loaded:
            raise LayerInvalid(None, f"two layers for level {source.level}")
        layer = parse_layer(
            collection,
            level=source.level,
            code_property=source.code_property,
            name_property=source.name_property,
            parent_property=source.parent_property,
            on_invalid=on_invalid,
        )
        above = loaded.get(source.level - 1)
        if source.parent_property is None and above is not None:
            layer = LoadedLayer(parents_by_containment(layer.specs, above.specs), layer.repairs)
        loaded[source.level] = layer
    return [loaded[level] for level in sorted(loaded)]


def parents_by_containment(
    children: tuple[GridSpec, ...], parents: tuple[GridSpec, ...]
) -> tuple[GridSpec, ...]:
    """Each child with parent_code = the parent it shares most area with (smaller code on a tie)."""
    geometries = [spec.geometry for spec in parents]
    tree = shapely.STRtree(geometries)
    placed = []
    for child in children:
        best: tuple[float, str] | None = None
        for index in tree.query(child.geometry, predicate="intersects").tolist():
            # Areas in squared degrees are fine for choosing among neighbours: same latitude.
            shared = float(shapely.area(shapely.intersection(child.geometry, geometries[index])))
            candidate = (-shared, parents[index].code)
            if shared > 0 and (best is None or candidate < best):
                best = candidate
        if best is None:
            raise LayerInvalid(
                child.code, f"lies inside no level-{child.level - 1} grid, so it has no parent"
            )
        placed.append(GridSpec(child.code, child.name, child.level, best[1], child.geometry))
    return tuple(placed)
