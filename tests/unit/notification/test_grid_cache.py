"""Grid chains kept across events per grid-set version (handlers/grid_cache.py): what is asked of
grid-registry, when, and what a changed, stale or unreachable registry does."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.handlers.grid_cache import CachedDirectory
from gridplus.notification.ports import RecipientDirectory, Subtree
from tests.unit.notification.fakes import FakeDirectory

BOUND = 5.0


class Down(Exception):
    """grid-registry is unreachable (as a gRPC UNAVAILABLE would be)."""


class Registry(RecipientDirectory):
    """grid-registry (chains with their version) and petition (reporters), counting the asks."""

    def __init__(self) -> None:
        self.version = 1
        self.down = False
        self.asked: list[str] = []
        self.workers = {"A": ["w-a"], "B": ["w-b"]}
        self.reporter_phone = "13800000001"
        # Run while the next chain is asked: a grid event consumed meanwhile.
        self.while_asked: list[Callable[[], None]] = []

    def versioned_chain(self, grid_code: str) -> tuple[list[Member], int]:
        if self.down:
            raise Down(grid_code)
        self.asked.append(f"chain {grid_code}")
        while self.while_asked:
            self.while_asked.pop()()
        members = [Member(p, grid_code, "grid_worker") for p in self.workers.get(grid_code, [])]
        return members, self.version

    def chain(self, grid_code: str) -> list[Member]:
        return self.versioned_chain(grid_code)[0]

    def department_heads(self) -> dict[str, str]:
        self.asked.append("heads")
        return {"roads": "head-1"}

    def reporters(self, petition_id: str) -> list[tuple[Recipient, bool]]:
        self.asked.append(f"reporters {petition_id}")
        return [(Recipient("res-1", phone=self.reporter_phone), False)]

    def subtree(self, grid_code: str) -> Subtree | None:
        self.asked.append(f"subtree {grid_code}")
        return None


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


@pytest.fixture
def cache(registry: Registry, clock: Clock) -> CachedDirectory:
    return CachedDirectory(registry, confirm_seconds=BOUND, monotonic=clock)


def people(members: list[Member]) -> list[str]:
    return [m.person_id for m in members]


def test_a_chain_is_asked_once_within_the_bound(
    cache: CachedDirectory, registry: Registry, clock: Clock
) -> None:
    assert people(cache.chain("A")) == ["w-a"]
    clock.now += BOUND - 0.1
    assert people(cache.chain("A")) == ["w-a"]
    assert people(cache.chain("B")) == ["w-b"]
    assert people(cache.chain("B")) == ["w-b"]
    assert registry.asked == ["chain A", "chain B"]


def test_reporters_and_subtrees_are_asked_every_time(
    cache: CachedDirectory, registry: Registry
) -> None:
    first = cache.reporters("p-1")
    registry.reporter_phone = "13800000002"  # the reporter changed their phone since
    second = cache.reporters("p-1")
    assert [r.phone for r, _ in first + second] == ["13800000001", "13800000002"]
    cache.subtree("A")
    cache.subtree("A")
    assert registry.asked == ["reporters p-1", "reporters p-1", "subtree A", "subtree A"]


def test_a_member_added_without_an_event_is_told_once_the_bound_passes(
    cache: CachedDirectory, registry: Registry, clock: Clock
) -> None:
    cache.chain("A")
    registry.workers["A"].append("w-new")  # grid-registry writes a new version for it
    registry.version = 2
    assert people(cache.chain("A")) == ["w-a"]  # within the bound: the held version
    clock.now += BOUND
    assert people(cache.chain("A")) == ["w-a", "w-new"]
    assert registry.asked == ["chain A", "chain A"]


def test_a_newer_version_drops_every_chain_held(
    cache: CachedDirectory, registry: Registry, clock: Clock
) -> None:
    cache.chain("A")
    cache.chain("B")
    registry.workers["B"] = ["w-b2"]
    registry.version = 2
    clock.now += BOUND
    cache.chain("A")  # confirms version 2, so B's chain of version 1 is gone
    assert people(cache.chain("B")) == ["w-b2"]
    assert registry.asked == ["chain A", "chain B", "chain A", "chain B"]


def test_the_same_version_confirmed_keeps_every_chain_held(
    cache: CachedDirectory, registry: Registry, clock: Clock
) -> None:
    cache.chain("A")
    cache.chain("B")
    clock.now += BOUND
    cache.chain("A")
    cache.chain("B")
    assert registry.asked == ["chain A", "chain B", "chain A"]


def test_a_membership_change_drops_the_chains_at_once(
    cache: CachedDirectory, registry: Registry
) -> None:
    cache.chain("A")
    registry.workers["A"].append("w-new")
    registry.version = 2
    cache.membership_changed("A")
    assert people(cache.chain("A")) == ["w-a", "w-new"]


def test_an_announced_grid_set_is_waited_for_without_keeping_older_answers(
    cache: CachedDirectory, registry: Registry
) -> None:
    cache.chain("A")
    cache.grid_set_imported(2)
    # grid-registry has not loaded version 2 yet: its answers are used, not kept.
    cache.chain("A")
    cache.chain("A")
    registry.version = 2
    cache.chain("A")
    cache.chain("A")
    assert registry.asked == ["chain A"] * 4


def test_an_older_version_answer_is_neither_kept_nor_confirming(
    cache: CachedDirectory, registry: Registry, clock: Clock
) -> None:
    registry.version = 2
    cache.chain("A")
    registry.version = 1  # a registry replica not yet refreshed
    clock.now += BOUND
    cache.chain("B")
    cache.chain("B")
    registry.version = 2
    cache.chain("A")
    assert registry.asked == ["chain A", "chain B", "chain B", "chain A"]


def test_an_answer_asked_while_a_grid_event_came_is_not_kept(
    cache: CachedDirectory, registry: Registry
) -> None:
    registry.while_asked.append(lambda: cache.membership_changed("A"))
    cache.chain("A")
    cache.chain("A")
    assert registry.asked == ["chain A", "chain A"]


def test_an_answer_naming_no_version_is_not_kept(
    cache: CachedDirectory, registry: Registry
) -> None:
    registry.version = 0  # a not-found grid, or a registry that does not name versions
    cache.chain("A")
    cache.chain("A")
    assert registry.asked == ["chain A", "chain A"]


def test_an_outage_past_the_bound_raises_for_the_consumer_to_retry(
    cache: CachedDirectory, registry: Registry, clock: Clock
) -> None:
    cache.chain("A")
    registry.down = True
    assert people(cache.chain("A")) == ["w-a"]  # within the bound: nothing asked
    clock.now += BOUND
    with pytest.raises(Down):
        cache.chain("A")
    registry.down = False
    assert people(cache.chain("A")) == ["w-a"]


def test_a_source_without_versions_is_asked_every_time(clock: Clock) -> None:
    fake = FakeDirectory(chains={"A": [Member("w-a", "A", "grid_worker")]})
    cache = CachedDirectory(fake, confirm_seconds=BOUND, monotonic=clock)
    cache.chain("A")
    cache.chain("A")
    assert fake.calls == ["chain A", "chain A"]
