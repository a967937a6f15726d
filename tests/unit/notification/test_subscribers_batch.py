"""The per-process copy of the live webhook subscriptions (issue 13): fresh for its time,
dropped when this process changes them, never kept when a change raced its load, one per
database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine

from gridplus.notification.domain.webhooks import Subscription
from gridplus.notification.storage.subscriptions import LiveSubscriptions


def subscription(url: str) -> Subscription:
    return Subscription(
        id=uuid.uuid4(),
        owner_id="ops",
        url=url,
        event_types=("gridplus.events.v1.PetitionAssigned",),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        secret="s",
    )


class Source:
    """The database's live list, counting loads."""

    def __init__(self) -> None:
        self.live: tuple[Subscription, ...] = ()
        self.loads = 0

    def load(self) -> tuple[Subscription, ...]:
        self.loads += 1
        return self.live


def test_held_for_its_time_then_loaded_again() -> None:
    now = [100.0]
    cache = LiveSubscriptions(5, monotonic=lambda: now[0])
    engine, source = create_engine("sqlite://"), Source()
    source.live = (subscription("https://a.example/h"),)

    assert cache.get(engine, source.load) == source.live
    source.live = ()  # changed by another replica
    now[0] += 4.9
    assert len(cache.get(engine, source.load)) == 1
    now[0] += 0.2
    assert cache.get(engine, source.load) == ()
    assert source.loads == 2


def test_a_change_here_is_seen_at_once() -> None:
    cache = LiveSubscriptions(5, monotonic=lambda: 0.0)
    engine, source = create_engine("sqlite://"), Source()
    assert cache.get(engine, source.load) == ()
    source.live = (subscription("https://a.example/h"),)
    cache.invalidate(engine)
    assert cache.get(engine, source.load) == source.live


def test_a_load_that_raced_a_change_is_not_kept() -> None:
    cache = LiveSubscriptions(5, monotonic=lambda: 0.0)
    engine, source = create_engine("sqlite://"), Source()
    old = (subscription("https://old.example/h"),)

    def load_then_change() -> tuple[Subscription, ...]:
        cache.invalidate(engine)  # the change committed while this load ran
        return old

    assert cache.get(engine, load_then_change) == old  # answers its caller
    source.live = ()
    assert cache.get(engine, source.load) == ()  # but was not kept


def test_each_database_has_its_own_copy() -> None:
    cache = LiveSubscriptions(5, monotonic=lambda: 0.0)
    first, second = create_engine("sqlite://"), create_engine("sqlite://")
    one = (subscription("https://a.example/h"),)
    assert cache.get(first, lambda: one) == one
    assert cache.get(second, lambda: ()) == ()
    assert cache.get(first, lambda: ()) == one
