"""LocateGrid answers a point inside a grid from the answer it built for that grid (issue 13): the
same answer as built fresh, each call still counted, a snapped point answered with its own
distance, and a newly served grid set answered from its own grids, never the previous one's
(which is not kept in memory for them)."""

from __future__ import annotations

import gc
import weakref

import shapely
from prometheus_client import REGISTRY

from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry.api import convert
from gridplus.grid_registry.api.grpc import GridRegistryServicer
from gridplus.grid_registry.domain.grids import GridSet, GridSpec
from gridplus.grid_registry.domain.locator import Locator
from gridplus.grid_registry.handlers import grids as queries
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot


def _box(code: str, level: int, parent: str | None, x0: float, x1: float) -> GridSpec:
    return GridSpec(code, f"Grid {code}", level, parent, shapely.box(x0, 0, x1, 1))


def _snapshot(version: int, split: float) -> GridSetSnapshot:
    """One level-1 and one level-2 grid over lon 0..2, two level-3 grids split at `split`."""
    grids = GridSet(
        [
            _box("A", 1, None, 0, 2),
            _box("A1", 2, "A", 0, 2),
            _box("A11", 3, "A1", 0, split),
            _box("A12", 3, "A1", split, 2),
        ]
    )
    return GridSetSnapshot(version, grids, Locator.from_grid_set(grids))


class Served:
    """What a server's Snapshot holds: swapped whole when a new grid set is imported."""

    def __init__(self, snapshot: GridSetSnapshot) -> None:
        self.snapshot = snapshot

    def get(self) -> GridSetSnapshot:
        return self.snapshot


def _servicer(served: Served) -> GridRegistryServicer:
    return GridRegistryServicer(served, None, Served(None))  # type: ignore[arg-type]


def _found() -> float:
    return REGISTRY.get_sample_value("gridplus_grid_locate_total", {"outcome": "found"}) or 0.0


def _locate(
    servicer: GridRegistryServicer, lon: float, tolerance: float = 0.0
) -> grid_pb2.LocateGridResponse:
    request = grid_pb2.LocateGridRequest(lat=0.5, lon=lon, tolerance_meters=tolerance)
    return servicer.LocateGrid(request, None)  # type: ignore[arg-type]


def test_a_point_in_a_grid_gets_the_answer_built_fresh_and_is_counted_each_time() -> None:
    snapshot = _snapshot(7, 1.0)
    servicer = _servicer(Served(snapshot))
    before = _found()
    first, second = _locate(servicer, 0.25), _locate(servicer, 0.75)
    assert _found() == before + 2
    fresh = convert.located(queries.locate(snapshot, lat=0.5, lon=0.25), snapshot.grids)
    assert first == fresh
    assert (first.grid.code, list(first.grid.path), first.grid.grid_set_version) == (
        "A11",
        ["A", "A1", "A11"],
        7,
    )
    assert [grid.code for grid in first.ancestors] == ["A", "A1"]
    assert second is first  # built once for the grid, not per call


def test_a_snapped_point_gets_its_own_distance() -> None:
    servicer = _servicer(Served(_snapshot(7, 1.0)))
    inside = _locate(servicer, 1.5)
    near = grid_pb2.LocateGridRequest(lat=-0.0005, lon=1.5, tolerance_meters=100)
    snapped = servicer.LocateGrid(near, None)  # type: ignore[arg-type]
    assert snapped.grid.code == inside.grid.code == "A12"
    assert snapped.snapped and 50 < snapped.snap_distance_meters < 60
    assert not inside.snapped and inside.snap_distance_meters == 0


def test_a_new_grid_set_is_answered_from_its_own_grids() -> None:
    served = Served(_snapshot(7, 1.0))
    servicer = _servicer(served)
    assert _locate(servicer, 1.25).grid.code == "A12"
    replaced = weakref.ref(served.snapshot)
    served.snapshot = _snapshot(8, 1.5)  # A11 now reaches lon 1.5
    gc.collect()
    assert replaced() is None  # the held answers do not keep a replaced grid set in memory
    moved = _locate(servicer, 1.25)
    assert (moved.grid.code, moved.grid.grid_set_version) == ("A11", 8)
    assert {grid.grid_set_version for grid in moved.ancestors} == {8}
