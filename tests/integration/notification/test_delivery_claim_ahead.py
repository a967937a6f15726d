"""The delivery worker holding more deliveries than it has threads (claim_batch) and recording
sent ones in the background: replicas' service loops still send each delivery once, deliveries
waiting for a thread to an endpoint whose circuit opened meanwhile are put off, not attempted,
and stopping writes every sent delivery that was still waiting to be recorded."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest

from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.notification.domain.delivery import DeliveryRecord, DeliveryStatus
from gridplus.notification.domain.notices import Channel
from gridplus.notification.jobs.sent_batch import SentRecorder
from gridplus.notification.storage import deliveries
from gridplus.notification.storage.deliveries import NewDelivery
from gridplus.notification.storage.models import WebhookSubscription
from tests.integration.notification.conftest import KEYS, Store, WorkerFactory
from tests.integration.notification.servers import SmtpSink
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

NO_LIMIT: dict[Channel, float] = {}


def store_emails(store: Store, clock: ManualClock, n: int) -> None:
    news = [
        NewDelivery(f"e-{i}", "t", f"person-{i}", Channel.EMAIL, "k", f"p{i}@x.example", "T", "b")
        for i in range(n)
    ]
    with transaction(store.sessions) as session:
        deliveries.create_many(session, news, now=clock.now(), keys=KEYS)


def store_webhooks(store: Store, clock: ManualClock, url: str, n: int) -> None:
    subscription = uuid.uuid4()
    news = [
        NewDelivery(f"e-{i}", "t", str(subscription), Channel.WEBHOOK, "k", url, "T", "{}")
        for i in range(n)
    ]
    with transaction(store.sessions) as session:
        session.add(
            WebhookSubscription(
                id=subscription,
                owner_id="o",
                url=url,
                secret="s",
                event_types="t",
                created_at=clock.now(),
            )
        )
        session.flush()
        deliveries.create_many(session, news, now=clock.now(), keys=KEYS)


def listed(store: Store) -> list[DeliveryRecord]:
    with transaction(store.sessions) as session:
        return deliveries.get_all(session, limit=1000)


def pending(store: Store) -> int:
    with transaction(store.sessions) as session:
        return sum(deliveries.count_pending(session).values())


def test_two_service_loops_claiming_ahead_send_each_delivery_once(
    store: Store, clock: ManualClock, smtp: SmtpSink, make_worker: WorkerFactory
) -> None:
    store_emails(store, clock, 150)
    # Short idle waits: a loop with nothing due notices the stop soon.
    settings = {"poll_seconds": 0.05, "idle_polls": 2, "rate_per_second": NO_LIMIT}
    workers = [make_worker(concurrency=3, claim_batch=20, **settings) for _ in range(2)]
    stop = threading.Event()
    loops = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for loop in loops:
        loop.start()
    try:
        deadline = time.monotonic() + 60
        while pending(store) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for loop in loops:
            loop.join(30)
    rows = listed(store)
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}
    sent = [str(m["X-GridPlus-Delivery"]) for m in smtp.messages]
    assert sorted(sent) == sorted(str(r.id) for r in rows)  # each once: none missing, none twice


def test_deliveries_waiting_for_a_thread_are_put_off_once_their_circuit_opens(
    store: Store, clock: ManualClock, make_worker: WorkerFactory
) -> None:
    store_webhooks(store, clock, f"http://127.0.0.1:{free_port()}/hook", 10)  # nobody listens
    rest = timedelta(seconds=300)
    worker = make_worker(
        concurrency=1,
        claim_batch=10,
        breaker_threshold=2,
        breaker_rest=rest,
        rate_per_second=NO_LIMIT,
    )
    assert worker.run_once() == 10  # all ten claimed at once, sent one after the other
    rows = listed(store)
    tried = [r for r in rows if r.attempts == 1]
    put_off = [r for r in rows if r.attempts == 0]
    assert len(tried) == 2  # the failures that opened the circuit
    assert len(put_off) == 8  # not attempted: no attempt spent on a receiver known to be down
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    assert {r.next_attempt_at for r in put_off} == {clock.now() + rest}


def test_closing_the_recorder_writes_the_sent_deliveries_still_waiting(
    store: Store, clock: ManualClock
) -> None:
    store_emails(store, clock, 5)
    with transaction(store.sessions) as session:
        claimed = deliveries.claim_due(
            session, now=clock.now(), limit=5, lease_until=clock.now() + timedelta(minutes=2)
        )
    reported: list[tuple[uuid.UUID, bool]] = []
    # A linger far longer than the test: only close() can have written them.
    recorder = SentRecorder(
        store.sessions, clock, lambda d, held, at: reported.append((d.id, held)), linger=600
    )
    for delivery in claimed:
        recorder.add(delivery)
    assert {r.status for r in listed(store)} == {DeliveryStatus.PENDING}  # not yet written
    recorder.close()
    assert {(r.status, r.attempts) for r in listed(store)} == {(DeliveryStatus.SENT, 1)}
    assert sorted(reported) == sorted((d.id, True) for d in claimed)
