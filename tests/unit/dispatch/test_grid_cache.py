"""Dispatch's grid-registry answers per grid-set version (handlers/grid_cache.py): what is asked
of grid-registry, when, and what a stale or unreachable registry does."""

from __future__ import annotations

import json

import pytest
import shapely

from gridplus.dispatch.domain.outlines import GridOutlines
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace, Member
from gridplus.dispatch.handlers.grid_cache import CachedGridDirectory
from gridplus.dispatch.ports import ChainLevel, GridDirectory

# Two unit squares side by side (x = lon, y = lat): A from lon 0 to 1, B from 1 to 2.
SQUARES = {"A": (0.0, 1.0), "B": (1.0, 2.0)}


def place(code: str, version: int) -> GridPlace:
    return GridPlace(code, 3, ("1", "L2", code), version)


def outline(code: str) -> str:
    west, east = SQUARES[code]
    return json.dumps(shapely.geometry.mapping(shapely.box(west, 0, east, 1)))


class Down(Exception):
    """grid-registry is unreachable (as a gRPC UNAVAILABLE would be)."""


class Registry(GridDirectory):
    """A grid-registry answering from squares, counting what it is asked."""

    def __init__(self, *, serves_outlines: bool = True) -> None:
        self.version = 1
        self.down = False
        self.serves_outlines = serves_outlines
        self.asked: list[str] = []
        self.workers = {"A": ["w-a"], "B": ["w-b"]}
        self.forgotten = 0

    def _ask(self, what: str) -> None:
        if self.down:
            raise Down(what)
        self.asked.append(what)

    def locate(self, lat: float, lon: float) -> GridPlace | None:
        self._ask("locate")
        found = [c for c, (west, east) in SQUARES.items() if 0 <= lat <= 1 and west <= lon <= east]
        return place(min(found), self.version) if found else None

    def members(self, grid_code: str) -> list[Member]:
        self._ask(f"members {grid_code}")
        return [Member(p, AssigneeRole.GRID_WORKER) for p in self.workers.get(grid_code, [])]

    def chain(self, grid_code: str) -> list[ChainLevel]:
        self._ask(f"chain {grid_code}")
        return [ChainLevel(grid_code, 3, tuple(self.workers.get(grid_code, [])))]

    def outlines(self) -> GridOutlines | None:
        self._ask("outlines")
        if not self.serves_outlines:
            return None
        return GridOutlines(
            self.version, [(place(code, self.version), outline(code)) for code in SQUARES]
        )

    def forget_grid_set(self) -> None:
        self.forgotten += 1


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cached(registry: Registry, clock: Clock, seconds: float = 5.0) -> CachedGridDirectory:
    return CachedGridDirectory(registry, confirm_seconds=seconds, monotonic=clock)


def test_within_the_bound_points_and_members_are_answered_without_asking(
    registry: Registry, clock: Clock
) -> None:
    directory = cached(registry, clock)
    assert directory.locate(0.5, 0.5) == place("A", 1)  # asked: confirms version 1
    assert registry.asked == ["locate", "outlines"]
    registry.asked.clear()
    for _ in range(3):
        assert directory.locate(0.5, 1.5) == place("B", 1)
        assert directory.locate(0.5, 1.0) == place("A", 1)  # shared edge: the smallest code
        assert directory.locate(0.5, 5.0) is None  # out of jurisdiction
        assert [m.person_id for m in directory.members("B")] == ["w-b"]
        assert directory.chain("B") == [ChainLevel("B", 3, ("w-b",))]
    assert registry.asked == ["members B", "chain B"]  # once each, then held


def test_past_the_bound_the_registry_is_asked_and_an_outage_raises_as_before(
    registry: Registry, clock: Clock
) -> None:
    directory = cached(registry, clock)
    directory.locate(0.5, 0.5)
    directory.members("A")
    clock.now += 5.0
    registry.down = True
    with pytest.raises(Down):
        directory.locate(0.5, 0.5)  # the consumer retries the event, as without the cache
    with pytest.raises(Down):
        directory.members("A")  # nothing held past the bound is used
    registry.down = False
    registry.asked.clear()
    assert directory.locate(0.5, 0.5) == place("A", 1)  # the same version confirmed again
    assert directory.members("A")[0].person_id == "w-a"
    assert registry.asked == ["locate"]  # outlines and members of version 1 still held


def test_a_new_version_drops_what_the_old_one_answered(registry: Registry, clock: Clock) -> None:
    directory = cached(registry, clock)
    directory.locate(0.5, 0.5)
    directory.members("A")
    registry.version = 2
    registry.workers["A"] = ["w-a2"]
    clock.now += 5.0
    registry.asked.clear()
    assert directory.locate(0.5, 0.5) == place("A", 2)
    assert registry.asked == ["locate", "outlines"]
    assert registry.forgotten == 2  # responsibility answers of version 1 are dropped too
    assert directory.members("A")[0].person_id == "w-a2"
    assert directory.locate(0.5, 1.5) == place("B", 2)  # from version 2's outlines


def test_a_grid_set_event_stops_the_old_version_at_once(registry: Registry, clock: Clock) -> None:
    directory = cached(registry, clock)
    directory.locate(0.5, 0.5)
    directory.grid_set_imported(2)
    registry.asked.clear()
    # The registry has not swapped yet: every point is asked until it answers version 2.
    assert directory.locate(0.5, 0.5) == place("A", 1)
    assert directory.members("A")
    assert registry.asked == ["locate", "members A"]
    registry.version = 2
    directory.locate(0.5, 0.5)
    registry.asked.clear()
    assert directory.locate(0.5, 1.5) == place("B", 2)
    assert registry.asked == []
    directory.grid_set_imported(1)  # a replayed older event changes nothing
    assert directory.locate(0.5, 1.5) == place("B", 2)
    assert registry.asked == []


def test_a_membership_change_asks_for_that_grids_members_again(
    registry: Registry, clock: Clock
) -> None:
    directory = cached(registry, clock)
    directory.locate(0.5, 0.5)
    directory.members("A")
    directory.members("B")
    registry.workers["A"] = ["w-a", "w-new"]
    directory.membership_changed("A")
    registry.asked.clear()
    assert [m.person_id for m in directory.members("A")] == ["w-a", "w-new"]
    directory.members("B")
    assert registry.asked == ["members A"]


def test_without_outlines_points_are_asked_and_members_still_held(clock: Clock) -> None:
    registry = Registry(serves_outlines=False)  # an older registry, or a stub: UNIMPLEMENTED
    directory = cached(registry, clock)
    for _ in range(3):
        assert directory.locate(0.5, 1.5) == place("B", 1)
        directory.members("B")
    assert registry.asked == ["locate", "outlines", "members B", "locate", "locate"]


def test_a_bound_of_zero_asks_every_time(registry: Registry, clock: Clock) -> None:
    directory = cached(registry, clock, seconds=0.0)
    for _ in range(2):
        directory.locate(0.5, 0.5)
        directory.members("A")
    assert [a for a in registry.asked if a != "outlines"] == ["locate", "members A"] * 2


def test_a_point_off_the_globe_is_the_registrys_to_refuse(registry: Registry, clock: Clock) -> None:
    directory = cached(registry, clock)
    directory.locate(0.5, 0.5)
    registry.asked.clear()
    directory.locate(91.0, 0.5)
    assert registry.asked == ["locate"]
