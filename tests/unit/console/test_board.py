"""The map board's pure parts: which grids a view draws, colours, the live event, the outlines."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.console.board import lights
from gridplus.console.board.shapes import OutlineCache, feature_collection

MANHATTAN = grid_pb2.Grid(code="1", name="Manhattan", level=1, path=["1"])
MIDTOWN = grid_pb2.Grid(code="MN05", level=2, parent_code="1", path=["1", "MN05"])
TIMES_SQUARE = grid_pb2.Grid(
    code="MN0502", level=3, parent_code="MN05", path=["1", "MN05", "MN0502"]
)


def test_a_view_draws_the_children_and_a_level_3_grid_among_its_siblings() -> None:
    root = lights.view_of(None)
    assert (root.area_code, root.child_level, root.selected_code) == ("", 1, "")
    borough = lights.view_of(MANHATTAN)
    assert (borough.area_code, borough.child_level, borough.selected_code) == ("1", 2, "1")
    district = lights.view_of(MIDTOWN)
    assert (district.area_code, district.child_level) == ("MN05", 3)
    leaf = lights.view_of(TIMES_SQUARE)
    assert (leaf.area_code, leaf.child_level, leaf.selected_code) == ("MN05", 3, "MN0502")


def test_a_grid_takes_its_worst_light() -> None:
    assert lights.light_of((1, 5, 9)) == "RED"
    assert lights.light_of((0, 1, 9)) == "YELLOW"
    assert lights.light_of((0, 0, 1)) == "GREEN"
    assert lights.light_of((0, 0, 0)) == "NONE"


def test_a_live_event_is_one_line_of_json_with_counts_and_overdue_rows() -> None:
    answer = dispatch_pb2.CountLightsResponse(
        grids=[dispatch_pb2.GridLightCount(grid_code="MN0502", red=2, yellow=1, green=3)]
    )
    assignment = dispatch_pb2.Assignment(
        petition_id="p-1",
        grid={"code": "MN0502"},
        category="nyc.sewer",
        category_name_en="Sewer",
        assignee_id="w-MN0502-1",
    )
    assignment.deadline.FromDatetime(datetime(2026, 12, 4, 1, 2, tzinfo=UTC))
    state = lights.snapshot(lights.counts_by_grid(answer), lights.overdue_rows([assignment]))
    event = lights.sse("lights", state)
    head, data, end = event.split("\n", 2)
    assert head == "event: lights" and end == "\n"
    assert json.loads(data.removeprefix("data: ")) == {
        "grids": {"MN0502": [2, 1, 3]},
        "overdue": [
            {
                "petition_id": "p-1",
                "grid_code": "MN0502",
                "category_en": "Sewer",
                "category_zh": "nyc.sewer",  # no Chinese name given: the code, never empty
                "assignee_id": "w-MN0502-1",
                "department_code": "",
                "deadline": "2026-12-04T01:02:00+00:00",
            }
        ],
    }


def _answer(version: int) -> grid_pb2.ListGridBoundariesResponse:
    square = {
        "type": "Polygon",
        "coordinates": [[[-73.9876543, 40.7512345], [-73.98, 40.75], [-73.98, 40.76]]],
    }
    return grid_pb2.ListGridBoundariesResponse(
        boundaries=[grid_pb2.GridBoundary(grid=TIMES_SQUARE, geojson=json.dumps(square))],
        grid_set_version=version,
    )


def test_outlines_are_features_with_rounded_coordinates() -> None:
    collection = feature_collection(_answer(3))
    feature = collection["features"][0]  # type: ignore[index]
    assert feature["properties"] == {"code": "MN0502", "name": "", "level": 3}
    assert feature["geometry"]["coordinates"][0][0] == [-73.98765, 40.75123]


def test_outlines_are_loaded_once_per_version_and_kept_gzipped() -> None:
    cache = OutlineCache(max_entries=2)
    loads: list[int] = []

    def load(version: int) -> grid_pb2.ListGridBoundariesResponse:
        loads.append(version)
        return _answer(version)

    first = cache.get(("MN05", 3, 1), lambda: load(1))
    again = cache.get(("MN05", 3, 1), lambda: load(1))
    assert again is first and loads == [1]
    assert json.loads(gzip.decompress(first.gzipped)) == json.loads(first.body)
    cache.get(("MN05", 3, 2), lambda: load(2))  # a new import: loaded again
    cache.get(("MN04", 3, 2), lambda: load(2))
    assert loads == [1, 2, 2] and len(cache) == 2  # the oldest entry went
