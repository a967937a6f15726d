"""ListGridBoundaries: the grids' outlines as GeoJSON for map layers, simplified on request."""

from __future__ import annotations

import json

import grpc
import pytest
from shapely.geometry import Point, shape

from gridplus.api.grid.v1 import grid_pb2
from tests.integration.grid_registry.registry import RESIDENT, TIMES_SQUARE, Running

pytestmark = pytest.mark.integration


def _vertices(geojson: str) -> int:
    geometry = shape(json.loads(geojson))
    polygons = getattr(geometry, "geoms", [geometry])
    return sum(len(p.exterior.coords) + sum(len(r.coords) for r in p.interiors) for p in polygons)


def test_a_resident_gets_the_level_1_outlines_simplified(registry: Running) -> None:
    full = registry.stub.ListGridBoundaries(
        grid_pb2.ListGridBoundariesRequest(level=1), metadata=RESIDENT, timeout=10
    )
    simple = registry.stub.ListGridBoundaries(
        grid_pb2.ListGridBoundariesRequest(level=1, simplify_meters=50),
        metadata=RESIDENT,
        timeout=10,
    )
    assert [b.grid.code for b in simple.boundaries] == [b.grid.code for b in full.boundaries]
    assert {b.grid.level for b in simple.boundaries} == {1}
    assert simple.grid_set_version == full.grid_set_version == 1
    before = sum(_vertices(b.geojson) for b in full.boundaries)
    after = sum(_vertices(b.geojson) for b in simple.boundaries)
    assert after < before / 4, (before, after)
    # Still the same place: Times Square lies in Manhattan's simplified outline.
    manhattan = next(b for b in simple.boundaries if b.grid.name == "Manhattan")
    lat, lon = TIMES_SQUARE
    assert shape(json.loads(manhattan.geojson)).contains(Point(lon, lat))


def test_the_outlines_of_a_subtree_at_one_level(registry: Running) -> None:
    answer = registry.stub.ListGridBoundaries(
        grid_pb2.ListGridBoundariesRequest(parent_code="MN05", simplify_meters=10),
        metadata=RESIDENT,
        timeout=10,
    )
    codes = [b.grid.code for b in answer.boundaries]
    assert "MN0502" in codes and all(c.startswith("MN05") for c in codes)
    assert all(
        json.loads(b.geojson)["type"] in {"Polygon", "MultiPolygon"} for b in answer.boundaries
    )


@pytest.mark.parametrize(
    ("request_", "code", "field"),
    [
        (
            grid_pb2.ListGridBoundariesRequest(simplify_meters=-1),
            "INVALID_ARGUMENT",
            "simplify_meters",
        ),
        (
            grid_pb2.ListGridBoundariesRequest(simplify_meters=5000),
            "INVALID_ARGUMENT",
            "simplify_meters",
        ),
        (grid_pb2.ListGridBoundariesRequest(level=7), "INVALID_ARGUMENT", "level"),
        (grid_pb2.ListGridBoundariesRequest(parent_code="nowhere"), "NOT_FOUND", ""),
    ],
)
def test_bad_filters_are_refused(
    registry: Running, request_: grid_pb2.ListGridBoundariesRequest, code: str, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        registry.stub.ListGridBoundaries(request_, metadata=RESIDENT, timeout=10)
    assert raised.value.code().name == code
    if field:
        assert field in (raised.value.details() or "")
