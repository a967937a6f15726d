"""What the resident page's form reads besides the API proper (all public, no token):

- `GET /api/v1/map/grids?level=1`: the city's grid outlines as a GeoJSON FeatureCollection, from
  grid-registry's polygons simplified for a map (tens of metres: a phone draws them at once),
  cached per level here and by the browser, with an ETag of the grid set's version.
- `GET /api/v1/map/locate?lat=..&lon=..`: whether a point is inside the city, and which grid:
  the page checks a picked point before the resident writes the rest of the report (a point
  outside every grid would be rejected after submitting, DESIGN: out of jurisdiction).
- `GET /api/v1/categories`: the category taxonomy in Chinese and English, grouped by class, for
  the page's search (anything not chosen is left to the classifier).
"""

from __future__ import annotations

import json
import math
import threading
from urllib.parse import urlsplit

from flask import Response, jsonify, request

from gridplus.kit.config import ConfigError
from gridplus.kit.errors import FieldViolation, InvalidArgument, NotFound
from gridplus.petition.ports import Category, CategorySource, GridMap

# How far an outline may move when simplified, by level: level-1 outlines span a city and are
# drawn small; a level-3 grid is drawn when zoomed in.
SIMPLIFY_METERS = {1: 50.0, 2: 25.0, 3: 10.0}
CACHE_SECONDS = 300


class MapRoutes:
    """The three routes over grid-registry's map and taxonomy (either may be absent: its routes
    then answer 404, and the page offers typed coordinates and no category list)."""

    def __init__(self, grid_map: GridMap | None, categories: CategorySource | None) -> None:
        self._map = grid_map
        self._categories = categories
        self._lock = threading.Lock()
        self._bodies: dict[tuple[int, int], bytes] = {}  # (version, level) -> GeoJSON

    def grids(self) -> Response:
        level = _level(request.args.get("level"))
        found = self._need_map().outlines(level=level, simplify_m=SIMPLIFY_METERS[level])
        key = (found.version, level)
        with self._lock:
            body = self._bodies.get(key)
        if body is None:
            features = [
                {
                    "type": "Feature",
                    "properties": {"code": o.code, "name": o.name, "level": o.level},
                    "geometry": json.loads(o.geojson),
                }
                for o in found.outlines
            ]
            collection = {"type": "FeatureCollection", "features": features}
            body = json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode()
            with self._lock:
                # One version per level: an import replaces the old outlines.
                self._bodies = {k: v for k, v in self._bodies.items() if k[1] != level}
                self._bodies[key] = body
        response = Response(body, mimetype="application/geo+json")
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        response.set_etag(f"grids-{found.version}-{level}")
        response.make_conditional(request)  # 304 when the browser holds this version
        return response

    def locate(self) -> Response:
        lat = _coordinate("lat", request.args.get("lat"), 90.0)
        lon = _coordinate("lon", request.args.get("lon"), 180.0)
        found = self._need_map().locate(lat=lat, lon=lon)
        if found is None:
            return jsonify(inside=False, grid=None, names=[])
        return jsonify(inside=True, grid=found.code, names=found.names)

    def categories(self) -> Response:
        if self._categories is None:
            raise NotFound("this server has no category taxonomy configured")
        response = jsonify(classes=_classes(self._categories.categories()))
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        return response

    def _need_map(self) -> GridMap:
        if self._map is None:
            raise NotFound("this server has no grid map configured")
        return self._map


def _classes(categories: list[Category]) -> list[dict[str, object]]:
    """Top-level classes in the taxonomy's order, each with the categories under it (a class
    without any is offered itself); categories of a class the taxonomy does not list are grouped
    under its code."""
    tops = {c.code: c for c in categories if c.top_level_code in ("", c.code)}
    members: dict[str, list[Category]] = {code: [] for code in tops}
    for category in categories:
        top = category.top_level_code or category.code
        if category.code != top:
            members.setdefault(top, []).append(category)
    return [
        {
            "code": code,
            "name_zh": tops[code].name_zh if code in tops else code,
            "name_en": tops[code].name_en if code in tops else code,
            "categories": [_named(c) for c in inside or [tops[code]]],
        }
        for code, inside in members.items()
    ]


def _named(category: Category) -> dict[str, str]:
    return {"code": category.code, "name_zh": category.name_zh, "name_en": category.name_en}


def _level(raw: str | None) -> int:
    if raw is None:
        return 1
    if raw not in {"1", "2", "3"}:
        raise InvalidArgument.single("level", "must be 1, 2 or 3")
    return int(raw)


def _coordinate(name: str, raw: str | None, bound: float) -> float:
    try:
        value = float(raw) if raw is not None else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and -bound <= value <= bound):
        raise InvalidArgument(
            [FieldViolation(name, f"required, a number from {-bound:g} to {bound:g}")]
        )
    return value


def tile_url(raw: str | None) -> str | None:
    """GRIDPLUS_PETITION_TILE_URL: a deployment's own map tiles ({z}/{x}/{y} template, e.g. its
    GIS or OpenStreetMap's) under the grid outlines; unset, the outlines are the whole map."""
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.netloc or "{z}" not in raw:
        raise ConfigError(
            "GRIDPLUS_PETITION_TILE_URL must be an http(s) URL template with {z}, {x} and {y},"
            f" got {raw!r}"
        )
    return raw


def tile_origin(url: str | None) -> str | None:
    """scheme://host[:port] of the tile server, for the page's CSP ({s} subdomains as *)."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"
