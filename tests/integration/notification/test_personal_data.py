"""Recipients' email addresses and phone numbers are stored sealed (kit.pii) while a delivery is
pending, opened only by the worker to send, bound to their delivery, and gone once it is final."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.kit.pii import KeyRing
from gridplus.notification.api.convert import received
from gridplus.notification.cli import reseal_addresses
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.jobs.delivery_worker import DeliveryWorker
from gridplus.notification.storage import deliveries
from tests.integration.notification.conftest import KEYS, Store, WorkerFactory
from tests.integration.notification.servers import SmsGateway, SmtpSink

pytestmark = pytest.mark.integration

PHONES = ("13900000007", "13900000003")
EMAILS = ("worker7@gov.example", "chief3@gov.example", "roads@gov.example")
NEW_KEY = KeyRing([("k2", bytes(range(1, 33))), ("k1", bytes(range(32)))])


def overdue(clock: ManualClock, petition_id: str = "p-9") -> Event:
    """Goes out by email and by SMS to the assignee, the grid chief and the department head."""
    payload = events_pb2.PetitionOverdue(
        petition_id=petition_id,
        grid={"code": "G-01-01-01", "level": 3},
        assignee_id="worker-7",
        department_code="roads",
    )
    payload.deadline.FromDatetime(clock.now())
    return Event.create(payload, key=petition_id, source="/gridplus/dispatch", time=clock.now())


def apply(store: Store, notifier: Notifier, event: Event) -> None:
    plan = notifier.prepare(received(event))
    with transaction(store.sessions) as session:
        notifier.apply(session, plan)


def table_dump(store: Store) -> str:
    """Every value of every delivery row, as an operator with database access would see it."""
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM deliveries")).all()
    values = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for r in rows for v in r]
    return " ".join(values)


def address_columns(store: Store) -> list[tuple[str, str | None, bytes | None]]:
    with store.engine.connect() as connection:
        query = text("SELECT address, address_key_id, sealed_address FROM deliveries")
        return [(a, k, s) for a, k, s in connection.execute(query)]


def send_all(worker: DeliveryWorker) -> None:
    while worker.run_once():  # a few at a time (its concurrency)
        pass


def failures(reason: str) -> float:
    labels = {"channel": "sms", "reason": reason}
    return REGISTRY.get_sample_value("gridplus_notification_delivery_failures_total", labels) or 0


def test_pending_addresses_are_sealed_and_cleared_once_sent(
    store: Store,
    notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    sms_gateway: SmsGateway,
    make_worker: WorkerFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    apply(store, notifier, overdue(clock))
    stored = table_dump(store)
    assert "gov.example" not in stored
    assert not any(phone in stored for phone in PHONES)
    assert not any(phone[-4:] in stored for phone in PHONES)
    pending = address_columns(store)
    assert len(pending) == len(PHONES) + len(EMAILS)
    assert {(address, key_id) for address, key_id, _ in pending} == {("", KEYS.active_id)}

    send_all(make_worker())
    assert {r.json()["to"] for r in sms_gateway.received} == set(PHONES)
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(EMAILS)
    # Final: nothing of the address is left, not even sealed.
    assert set(address_columns(store)) == {("", None, None)}
    ours = " ".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith("gridplus")
    )
    assert "gov.example" not in ours and not any(phone in ours for phone in PHONES)


def test_an_address_moved_to_another_delivery_does_not_open(
    store: Store,
    notifier: Notifier,
    clock: ManualClock,
    sms_gateway: SmsGateway,
    make_worker: WorkerFactory,
) -> None:
    apply(store, notifier, overdue(clock))
    with store.engine.begin() as connection:
        sms = connection.execute(
            text("SELECT id, sealed_address FROM deliveries WHERE channel = 'sms' ORDER BY id")
        ).all()
        first, second = sms
        # Someone with database access points the first SMS at the second one's phone.
        connection.execute(
            text("UPDATE deliveries SET sealed_address = :blob WHERE id = :id"),
            {"blob": second.sealed_address, "id": first.id},
        )
    before = failures("unreadable")
    send_all(make_worker())
    assert len(sms_gateway.received) == 1  # only the untouched one, to its own phone
    assert failures("unreadable") == before + 1
    with store.engine.connect() as connection:
        status, error = connection.execute(
            text("SELECT status, last_error FROM deliveries WHERE id = :id"), {"id": first.id}
        ).one()
    assert (status, error) == ("failed", "address unreadable: key missing")


def test_after_a_key_rotation_old_and_plain_addresses_are_sent_and_resealed(
    store: Store,
    notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    sms_gateway: SmsGateway,
    make_worker: WorkerFactory,
) -> None:
    apply(store, notifier, overdue(clock, "p-old"))  # sealed with k1
    with store.engine.begin() as connection:
        # A delivery stored before addresses were sealed (migration notification_0003).
        connection.execute(
            text(
                "UPDATE deliveries SET address = '13900000007', address_key_id = NULL,"
                " sealed_address = NULL WHERE channel = 'sms' AND recipient_id = 'worker-7'"
            )
        )
    with transaction(store.sessions) as session:
        assert deliveries.reseal(session, keys=NEW_KEY, limit=2) == 2
    reseal_addresses(store.sessions, NEW_KEY)  # the operator command: the rest, in batches
    with transaction(store.sessions) as session:
        assert deliveries.reseal(session, keys=NEW_KEY) == 0
    resealed = address_columns(store)
    assert {(address, key_id) for address, key_id, _ in resealed} == {("", "k2")}
    assert "13900000007" not in table_dump(store)

    # Every address now opens with the new key alone: the old one can leave the ring.
    send_all(make_worker(keys=KeyRing([("k2", bytes(range(1, 33)))])))
    assert {r.json()["to"] for r in sms_gateway.received} == set(PHONES)
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(EMAILS)
    assert set(address_columns(store)) == {("", None, None)}
