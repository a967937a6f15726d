"""A poll of events as notification's consumer applies it (issue 13): what the events gave
already is looked up once for the poll, and the new inbox items go in one INSERT at the commit,
instead of a look-up and an INSERT per event. Every assignee is still told once, the items are
numbered in the poll's order, and a replay of the same events (from the DLQ, under another
consumer name) still makes no second item and counts none. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, event, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.kit.batch import BatchApplier
from gridplus.kit.clock import ManualClock, SystemClock
from gridplus.kit.db import transaction
from gridplus.notification.clients import GrpcDirectory
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.grid_cache import CachedDirectory
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.handlers.reporters_ahead import ReportersAhead
from gridplus.notification.messaging.consumers import handlers
from gridplus.notification.storage.models import InboxItem
from tests.integration.notification.conftest import KEYS, Store
from tests.support.records import consumer_record

pytestmark = pytest.mark.integration

PETITIONS = [f"p-{n}" for n in range(1, 21)]


def record(offset: int, petition_id: str) -> Any:
    payload = events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code="G-01-01-01"),
        assignee_id=f"worker-{offset}",
    )
    return consumer_record(offset, payload, key=petition_id, source="/gridplus/dispatch")


def applier(store: Store, directory: GrpcDirectory, clock: ManualClock, name: str) -> BatchApplier:
    ahead = ReportersAhead(CachedDirectory(directory))
    notifier = Notifier(ahead, ChannelPolicy(), clock, keys=KEYS)
    return BatchApplier(
        name=name,
        handlers=handlers(notifier, grid_events=None, reporters_ahead=ahead),
        sessions=store.sessions,
        clock=SystemClock(),
        after_commit=lambda: None,
    )


@contextmanager
def inbox_statements(store: Store) -> Iterator[list[str]]:
    engine: Engine = store.sessions.kw["bind"]
    seen: list[str] = []

    def on_statement(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if "inbox_items" in statement:
            seen.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)


def assignee_items(store: Store) -> list[tuple[str, str | None]]:
    with transaction(store.sessions) as session:
        rows = session.execute(
            select(InboxItem.recipient_id, InboxItem.petition_id)
            .where(InboxItem.recipient_id.like("worker-%"))
            .order_by(InboxItem.seq)
        )
        return [(recipient, petition) for recipient, petition in rows]


def inbox_notices_counted() -> float:
    labels = {"kind": "petition_assigned", "channel": "inbox"}
    value = REGISTRY.get_sample_value("gridplus_notification_notices_created_total", labels)
    return value or 0.0


def test_a_poll_looks_up_once_and_writes_its_items_in_one_insert_in_order(
    store: Store, directory: GrpcDirectory, clock: ManualClock
) -> None:
    records = [record(n, p) for n, p in enumerate(PETITIONS)]
    counted = inbox_notices_counted()

    with inbox_statements(store) as statements:
        assert applier(store, directory, clock, "notification").apply(records, _no_path) is None

    # SQLite numbers the items itself: it reads the highest number once per transaction.
    sqlite = store.sessions.kw["bind"].dialect.name == "sqlite"
    assert statements.count("SELECT") == (2 if sqlite else 1), statements
    assert statements.count("INSERT") == 1, statements
    assert assignee_items(store) == [(f"worker-{n}", p) for n, p in enumerate(PETITIONS)]
    assert inbox_notices_counted() == counted + len(PETITIONS)


def test_a_replayed_poll_makes_no_second_item_and_counts_none(
    store: Store, directory: GrpcDirectory, clock: ManualClock
) -> None:
    records = [record(n, p) for n, p in enumerate(PETITIONS)]
    applier(store, directory, clock, "notification").apply(records[:5], _no_path)
    counted = inbox_notices_counted()

    # The DLQ's replay runs under another consumer name: the kit's event ids do not stop it.
    assert applier(store, directory, clock, "notification-replay").apply(records, _no_path) is None

    assert assignee_items(store) == [(f"worker-{n}", p) for n, p in enumerate(PETITIONS)]
    assert inbox_notices_counted() == counted + len(PETITIONS) - 5


def _no_path(record: Any, attempts: int) -> bool:
    raise AssertionError(f"offset {record.offset} left the batch path")
