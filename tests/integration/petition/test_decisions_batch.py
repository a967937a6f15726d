"""Dispatch's decisions as the consumer applies a poll of them (issue 13): the batch's petitions
are locked and read with one statement, not one per event, and every decision still lands as it
did one at a time: in order per petition, a repeat ignored, a petition that is not there failing
alone (and only it going to the per-event path, which dead-letters it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from google.protobuf.message import Message
from sqlalchemy import Engine, event

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.auth import Role
from gridplus.kit.batch import BatchApplier
from gridplus.kit.db import transaction
from gridplus.petition.api.convert import timestamp
from gridplus.petition.domain.values import Actor
from gridplus.petition.messaging.consumers import dispatch_handlers
from gridplus.petition.storage import repository
from tests.integration.petition.conftest import T0, Store, assigned, bearer
from tests.support.records import OneByOne, consumer_record

pytestmark = pytest.mark.integration

ADMIN = Actor("admin-1", Role.ADMIN)


def record(offset: int, payload: Message, key: str) -> Any:
    return consumer_record(offset, payload, key=key, source="/gridplus/dispatch", time=T0)


def applier(store: Store) -> BatchApplier:
    return BatchApplier(
        name="petition-dispatch-events",
        handlers=dispatch_handlers(store.deps),
        sessions=store.sessions,
        clock=store.clock,
        after_commit=lambda: None,
    )


@contextmanager
def petition_statements(store: Store) -> Iterator[list[str]]:
    """Statements on the petitions table: "read" (the locked read before a change), "change"."""
    engine: Engine = store.sessions.kw["bind"]
    seen: list[str] = []

    def on_statement(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM petitions" in statement:
            seen.append("read")
        elif "UPDATE petitions" in statement:
            seen.append("change")

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)


def submit(client: FlaskClient, n: int) -> str:
    body = {"title": f"井盖丢失 {n}", "description": "manhole open", "lat": 39.9, "lon": 116.4}
    headers = {**bearer(f"resident-{n}"), "Idempotency-Key": f"k-{n}"}
    response = client.post("/api/v1/petitions", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def statuses(store: Store, ids: list[str]) -> list[tuple[str, str | None]]:
    with transaction(store.sessions) as session:
        found = [repository.get(session, petition_id=pid) for pid in ids]
    return [(p.status.value, p.assignee_id) for p in found]


def test_a_poll_of_assignments_locks_its_petitions_with_one_read_and_changes_them_together(
    client: FlaskClient, store: Store
) -> None:
    ids = [submit(client, n) for n in range(20)]
    records = [record(n, assigned(pid, T0 + timedelta(hours=25)), pid) for n, pid in enumerate(ids)]
    one = OneByOne()

    with petition_statements(store) as reads:
        assert applier(store).apply(records, one) is None

    # PostgreSQL: each change (row, history entry, feed row) is one statement, and the poll's
    # go in one executemany; SQLite changes a row per statement (no round trip to save).
    postgresql = store.sessions.kw["bind"].dialect.name == "postgresql"
    assert reads.count("read") == 1, reads
    assert reads.count("change") == (1 if postgresql else 20), reads
    assert one.handed == []
    assert statuses(store, ids) == [("ASSIGNED", "worker-7")] * 20
    assert sorted(change.petition_id for change in store.status_changes()) == sorted(ids)
    with transaction(store.sessions) as session:
        history = repository.get_history(session, petition_id=ids[7])
    assert [(e.to_status.value, e.actor.id) for e in history] == [
        ("SUBMITTED", "resident-7"),
        ("ASSIGNED", "dispatch"),
    ]


def test_a_poll_keeps_each_petitions_order_ignores_a_repeat_and_fails_a_missing_one_alone(
    client: FlaskClient, store: Store
) -> None:
    first, second = submit(client, 1), submit(client, 2)
    payloads: list[tuple[Message, str]] = [
        (events_pb2.PetitionSentToTriage(petition_id=first, reason="not sure"), first),
        (assigned(first, T0 + timedelta(hours=25)), first),
        (assigned("no-such-petition", T0 + timedelta(hours=25)), "no-such-petition"),
        (assigned(first, T0 + timedelta(hours=99)), first),  # a repeat: it has moved on
        (assigned(second, T0 + timedelta(hours=30)), second),
        (
            events_pb2.AssignmentTransferred(
                petition_id=second,
                to_assignee_id="worker-9",
                reason="on leave",
                actor_id="chief-1",
                transferred_at=timestamp(T0 + timedelta(minutes=5)),
            ),
            second,
        ),
    ]
    records = [record(n, payload, key) for n, (payload, key) in enumerate(payloads)]
    one = OneByOne()

    assert applier(store).apply(records, one) is None

    assert one.handed == [(2, 1)], "only the missing petition's event goes the per-event path"
    assert statuses(store, [first, second]) == [("ASSIGNED", "worker-7"), ("ASSIGNED", "worker-9")]
    with transaction(store.sessions) as session:
        first_petition = repository.get(session, petition_id=first)
        history = repository.get_history(session, petition_id=first)
        second_history = repository.get_history(session, petition_id=second)
    assert first_petition.deadline == T0 + timedelta(hours=25)
    assert [(e.to_status.value, e.kind.value) for e in history] == [
        ("SUBMITTED", "STATUS"),
        ("SUBMITTED", "NOTE"),
        ("ASSIGNED", "STATUS"),
    ]
    assert [(e.to_status.value, e.kind.value) for e in second_history] == [
        ("SUBMITTED", "STATUS"),
        ("ASSIGNED", "STATUS"),
        ("ASSIGNED", "NOTE"),
    ]
    assert second_history[-1].note == "transferred to worker-9: on leave (by chief-1)"
    assert len(store.status_changes()) == 2


def test_a_change_waiting_for_the_batch_is_written_before_another_change_of_that_petition(
    client: FlaskClient, store: Store
) -> None:
    petition_id = submit(client, 1)
    with transaction(store.sessions) as session:
        stale = repository.get(session, petition_id=petition_id)  # read in an earlier transaction
    with transaction(store.sessions) as session:
        repository.lock_many(session, petition_ids=[petition_id])
        petition = repository.get(session, petition_id=petition_id, lock=True)
        petition.send_to_triage(reason="not sure", best_guess=None, actor=ADMIN, at=T0)
        repository.update(session, petition=petition)  # waits for the batch's others
        stale.add_note(note="second", actor=ADMIN, at=T0 + timedelta(seconds=1))
        repository.update(session, petition=stale)

    with transaction(store.sessions) as session:
        history = repository.get_history(session, petition_id=petition_id)
    assert [e.note for e in history] == ["", "sent to manual triage: not sure", "second"]
