"""What a petition costs the database on its hot paths (issue 13): intake, dispatch's assignment
and notification's contact lookup each run in one transaction with a fixed, small number of
statements, and still store, number and answer exactly what they did before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.auth import Role
from gridplus.kit.batch import apply_handler
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.petition.api.convert import timestamp
from gridplus.petition.domain.errors import PetitionNotFound
from gridplus.petition.domain.values import Actor
from gridplus.petition.handlers.personal_data import (
    get_many_reporter_contacts,
    get_reporter_contacts,
)
from gridplus.petition.messaging.consumers import dispatch_handlers
from gridplus.petition.storage import changes, contacts, repository
from gridplus.petition.storage.models import ChangeRow
from tests.integration.petition.conftest import PATH, T0, Store, assigned, bearer, deliver

pytestmark = pytest.mark.integration

ADMIN = Actor("admin-1", Role.ADMIN)


@dataclass
class Counted:
    transactions: int = 0
    statements: int = 0  # BEGIN (SQLite's BEGIN IMMEDIATE) not counted


@contextmanager
def counting(store: Store) -> Iterator[Counted]:
    engine: Engine = store.sessions.kw["bind"]
    counted = Counted()

    def on_begin(_connection: object) -> None:
        counted.transactions += 1

    def on_statement(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.startswith("BEGIN"):
            counted.statements += 1

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield counted
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_statement)


def submit(client: FlaskClient, who: str, key: str, **extra: object) -> str:
    body = {"title": "井盖丢失", "description": "manhole open", "lat": 39.9, "lon": 116.4, **extra}
    headers = {**bearer(who), "Idempotency-Key": key}
    response = client.post("/api/v1/petitions", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def test_intake_is_one_transaction_and_a_retry_stores_nothing(
    client: FlaskClient, store: Store
) -> None:
    with counting(store) as first:
        petition_id = submit(client, "resident-a", "k-1", contact={"phone": "13812341234"})
    # key recalled, petition, history entry, change feed row, contact, outbox, key remembered;
    # on PostgreSQL the petition, its entry and its feed row are one statement
    postgresql = store.sessions.kw["bind"].dialect.name == "postgresql"
    assert (first.transactions, first.statements) == (1, 5 if postgresql else 7)

    with counting(store) as retry:
        assert submit(client, "resident-a", "k-1", contact={"phone": "13812341234"}) == petition_id
    assert (retry.transactions, retry.statements) == (1, 1)
    assert store.petition_count() == 1
    assert len(store.events(events_pb2.PetitionSubmitted)) == 1
    with transaction(store.sessions) as session:
        [entry] = repository.get_history(session, petition_id=petition_id)
        [contact] = contacts.reporters(session, petition_id=petition_id, keys=store.deps.keys)
    assert (entry.to_status.value, entry.actor.id) == ("SUBMITTED", "resident-a")
    assert contact.contact is not None and contact.contact.phone == "13812341234"


def test_an_assignment_is_a_read_an_update_and_one_history_entry(
    client: FlaskClient, store: Store
) -> None:
    petition_id = submit(client, "resident-a", "k-1")

    with counting(store) as assignment:
        deliver(store, assigned(petition_id, T0 + timedelta(hours=25)), petition_id)

    # the locked read (with the last history number), the outbox row, and the update, the
    # history entry and its change feed row: on PostgreSQL one statement, on SQLite three
    postgresql = store.sessions.kw["bind"].dialect.name == "postgresql"
    assert (assignment.transactions, assignment.statements) == (1, 3 if postgresql else 5)
    with transaction(store.sessions) as session:
        petition = repository.get(session, petition_id=petition_id)
        history = repository.get_history(session, petition_id=petition_id)
        feed = changes.get_changes(
            session, after_id=0, up_to=99, query=repository.PetitionQuery(), limit=10
        )
    assert (petition.status.value, petition.assignee_id) == ("ASSIGNED", "worker-7")
    assert [(e.to_status.value, e.actor.id) for e in history] == [
        ("SUBMITTED", "resident-a"),
        ("ASSIGNED", "dispatch"),
    ]
    assert [(c.change_id, c.entry.to_status.value) for c in feed] == [
        (1, "SUBMITTED"),
        (2, "ASSIGNED"),
    ]
    [change] = store.status_changes()
    assert (change.petition_id, change.category) == (petition_id, "road.manhole")


def test_entries_recorded_together_are_numbered_in_order_with_their_feed_rows(
    client: FlaskClient, store: Store
) -> None:
    petition_id = submit(client, "resident-a", "k-1")
    with transaction(store.sessions) as session:
        petition = repository.get(session, petition_id=petition_id, lock=True)
        petition.add_note(note="first", actor=ADMIN, at=T0)
        petition.add_note(note="second", actor=ADMIN, at=T0 + timedelta(seconds=1))
        repository.update(session, petition=petition)

    with transaction(store.sessions) as session:
        history = repository.get_history(session, petition_id=petition_id)
        feed = session.execute(
            select(ChangeRow.petition_id, ChangeRow.history_seq).order_by(ChangeRow.id)
        ).all()
    assert [e.note for e in history] == ["", "first", "second"]
    assert [tuple(row) for row in feed] == [(petition_id, 1), (petition_id, 2), (petition_id, 3)]


def test_one_petitions_events_in_one_transaction_are_numbered_and_applied_in_order(
    client: FlaskClient, store: Store
) -> None:
    """As the consumer's batches apply them: each change reads the petition as the one before
    left it, numbers its entries after the last, and writes what it changed, nothing else."""
    petition_id = submit(client, "resident-a", "k-1")
    events = [
        events_pb2.PetitionSentToTriage(
            petition_id=petition_id, reason="not sure", sent_at=timestamp(T0)
        ),
        assigned(petition_id, T0 + timedelta(hours=25)),
        assigned(petition_id, T0 + timedelta(hours=99)),  # a repeat: ignored, moved on
        events_pb2.AssignmentTransferred(
            petition_id=petition_id,
            to_assignee_id="worker-9",
            reason="on leave",
            actor_id="chief-1",
            transferred_at=timestamp(T0 + timedelta(minutes=5)),
        ),
    ]
    table = dispatch_handlers(store.deps)
    with transaction(store.sessions) as session:
        for payload in events:
            event = Event.create(
                payload, key=petition_id, source="/gridplus/dispatch", time=store.clock.now()
            )
            apply_handler(table[event.type], session, event, None)

    with transaction(store.sessions) as session:
        petition = repository.get(session, petition_id=petition_id)
        history = repository.get_history(session, petition_id=petition_id)
        feed = session.execute(
            select(ChangeRow.petition_id, ChangeRow.history_seq).order_by(ChangeRow.id)
        ).all()
    assert (petition.status.value, petition.assignee_id, petition.triage_reason) == (
        "ASSIGNED",
        "worker-9",
        None,
    )
    assert petition.deadline == T0 + timedelta(hours=25)
    assert (petition.title, petition.reporter.id) == ("井盖丢失", "resident-a")
    assert petition.grid is not None and petition.grid.path == tuple(PATH)
    assert [(e.to_status.value, e.kind.value, e.note) for e in history] == [
        ("SUBMITTED", "STATUS", ""),
        ("SUBMITTED", "NOTE", "sent to manual triage: not sure"),
        ("ASSIGNED", "STATUS", "point lies in G1-2-3; worker-7 is on duty"),
        ("ASSIGNED", "NOTE", "transferred to worker-9: on leave (by chief-1)"),
    ]
    assert [tuple(row) for row in feed] == [(petition_id, seq) for seq in (1, 2, 3, 4)]
    assert len(store.status_changes()) == 1


def test_a_read_of_an_earlier_transaction_is_not_taken_for_the_row_as_it_stands(
    client: FlaskClient, store: Store
) -> None:
    """A session used for two transactions: what its first read and locked is stale in the
    second (another writer added an entry in between), so the change numbers after that."""
    petition_id = submit(client, "resident-a", "k-1")
    with store.sessions() as session:
        with session.begin():
            petition = repository.get(session, petition_id=petition_id, lock=True)
        with transaction(store.sessions) as other:
            meanwhile = repository.get(other, petition_id=petition_id, lock=True)
            meanwhile.add_note(note="meanwhile", actor=ADMIN, at=T0)
            repository.update(other, petition=meanwhile)
        with session.begin():
            petition.add_note(note="later", actor=ADMIN, at=T0 + timedelta(seconds=1))
            repository.update(session, petition=petition)

    with transaction(store.sessions) as session:
        history = repository.get_history(session, petition_id=petition_id)
    assert [(e.note, e.at) for e in history[1:]] == [
        ("meanwhile", T0),
        ("later", T0 + timedelta(seconds=1)),
    ]


def test_a_petition_that_is_not_there_is_not_found_and_nothing_is_written(
    client: FlaskClient, store: Store
) -> None:
    petition_id = submit(client, "resident-a", "k-1")
    with transaction(store.sessions) as session:
        petition = repository.get(session, petition_id=petition_id)
    petition.id = "no-such-petition"
    petition.add_note(note="lost", actor=ADMIN, at=T0)

    with transaction(store.sessions) as session, pytest.raises(PetitionNotFound):
        get_reporter_contacts(session, store.deps, petition_id="no-such-petition")
    with pytest.raises(PetitionNotFound), transaction(store.sessions) as session:
        repository.update(session, petition=petition)
    with transaction(store.sessions) as session:
        assert len(repository.get_history(session, petition_id=petition_id)) == 1
        assert repository.get_history(session, petition_id="no-such-petition") == []


def merge(store: Store, duplicate: str, survivor: str) -> None:
    with transaction(store.sessions) as session:
        petition = repository.get(session, petition_id=duplicate, lock=True)
        petition.mark_duplicate(survivor_id=survivor, actor=ADMIN, at=T0)
        repository.update(session, petition=petition)


def merge_chain(client: FlaskClient, store: Store) -> tuple[str, str]:
    """survivor <- merged <- merged_again <- same_reporter (resident-a again): three levels.
    Returns (survivor, merged_again)."""
    survivor = submit(client, "resident-a", "a", contact={"name": "张三"})
    merged = submit(client, "resident-b", "b", contact={"email": "li@example.org"})
    merged_again = submit(client, "resident-c", "c", contact={"phone": "13812341234"})
    same_reporter = submit(client, "resident-a", "a2", contact={"name": "另一个"})
    merge(store, merged, survivor)
    merge(store, merged_again, merged)  # merged into a petition that was merged itself
    merge(store, same_reporter, merged_again)
    return survivor, merged_again


def test_reporter_contacts_follow_a_chain_of_merges_one_statement_per_level(
    client: FlaskClient, store: Store
) -> None:
    survivor, merged_again = merge_chain(client, store)
    anonymised = client.delete("/api/v1/me/personal-data", headers=bearer("resident-c"))
    assert anonymised.status_code == 204

    with counting(store) as lookup, transaction(store.sessions) as session:
        found = get_reporter_contacts(session, store.deps, petition_id=survivor)

    # the petition, then three levels of merges and the empty fourth
    assert lookup.statements == 5
    assert [(c.reporter_id, c.contact.name, c.contact.email, c.via_duplicate) for c in found] == [
        ("resident-a", "张三", "", False),
        ("resident-b", "", "li@example.org", True),
        ("resident-c", "", "", True),  # erased: still told, without a contact
    ]
    with counting(store) as alone, transaction(store.sessions) as session:
        found = get_reporter_contacts(session, store.deps, petition_id=merged_again)
    assert alone.statements == 3
    assert [(c.reporter_id, c.contact.name, c.contact.phone, c.via_duplicate) for c in found] == [
        ("resident-c", "", "", False),
        ("resident-a", "另一个", "", True),
    ]


def test_a_batch_of_reporter_contacts_is_one_statement_per_level_for_all_and_answers_as_alone(
    client: FlaskClient, store: Store
) -> None:
    survivor, merged_again = merge_chain(client, store)
    others = [submit(client, f"resident-{n}", f"o{n}") for n in range(5)]
    # asked: a chain's root and a petition inside it, unmerged ones, one twice, one unknown
    asked = [others[0], merged_again, "no-such-petition", survivor, *others[1:], others[0]]

    with counting(store) as lookup, transaction(store.sessions) as session:
        batch = get_many_reporter_contacts(session, store.deps, petition_ids=asked)

    # the petitions, then three levels of merges and the empty fourth: as for one petition
    assert lookup.statements == 5
    assert list(batch) == [others[0], merged_again, survivor, *others[1:]]
    with transaction(store.sessions) as session:
        for petition_id, found in batch.items():
            assert found == get_reporter_contacts(session, store.deps, petition_id=petition_id)
    assert [(c.reporter_id, c.via_duplicate) for c in batch[survivor]] == [
        ("resident-a", False),
        ("resident-b", True),
        ("resident-c", True),
    ]
