"""Reading GeoJSON layers from files; domain/geojson_layers.py parses what is read.

Used by `load-demo` (the NYC demo city in GRIDPLUS_GRID_REGISTRY_DEMO_DIR), `gridctl import` and
`gridctl validate` (the files given with --layer), and the locate benchmark.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gridplus.grid_registry.domain.geojson_layers import (
    LayerSource,
    LoadedLayer,
    OnInvalid,
    parse_layer,
    parse_layers,
    parse_nyc_demo_layers,
)
from gridplus.grid_registry.domain.grids import GridSpec

NYC_BOROUGHS_FILE = "nyc_boroughs_dcp24c.geojson"
NYC_CDTA_FILE = "nyc_cdta2020_dcp24c.geojson"
NYC_NTA_FILE = "nyc_nta2020_dcp24c.geojson"


def read_geojson(path: str | Path) -> Any:
    """The decoded JSON of one file."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_layer(path: str | Path, **options: Any) -> LoadedLayer:
    """Read a GeoJSON file and parse it with `parse_layer` (same keyword options)."""
    return parse_layer(read_geojson(path), **options)


def read_layers(
    sources: Sequence[LayerSource], on_invalid: OnInvalid = OnInvalid.REPAIR
) -> list[LoadedLayer]:
    """Read the files of `sources` and parse them with `parse_layers` (parents by containment
    where a layer names no parent property)."""
    return parse_layers([(source, read_geojson(source.path)) for source in sources], on_invalid)


def load_nyc_demo_layers(
    directory: str | Path, on_invalid: OnInvalid = OnInvalid.REPAIR
) -> list[LoadedLayer]:
    """The NYC demo city: boroughs (level 1), CDTA2020 (level 2), NTA2020 (level 3)."""
    base = Path(directory)
    return parse_nyc_demo_layers(
        read_geojson(base / NYC_BOROUGHS_FILE),
        read_geojson(base / NYC_CDTA_FILE),
        read_geojson(base / NYC_NTA_FILE),
        on_invalid,
    )


def load_nyc_demo(directory: str | Path) -> list[GridSpec]:
    """All NYC demo grids (5 boroughs, 71 CDTAs, 262 NTAs), repairing invalid geometry."""
    return [spec for layer in load_nyc_demo_layers(directory) for spec in layer.specs]
