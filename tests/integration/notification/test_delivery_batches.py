"""The delivery worker's batches: replicas claiming from one database send each delivery once,
one failed send in a batch is retried alone, and sent deliveries whose outcome was never
recorded (the worker died first) are sent again once their lease runs out, none lost."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.notification.domain.delivery import DeliveryRecord, DeliveryStatus
from gridplus.notification.domain.notices import Channel
from gridplus.notification.storage import deliveries
from gridplus.notification.storage.deliveries import NewDelivery
from gridplus.notification.storage.models import WebhookSubscription
from tests.integration.notification.conftest import KEYS, Store, WorkerFactory
from tests.integration.notification.servers import HttpReceiver, SmtpSink

pytestmark = pytest.mark.integration

DELIVERY = "x-gridplus-delivery"
NO_LIMIT: dict[Channel, float] = {}


class Refusing(HttpReceiver):
    """Answers 503 to the delivery ids in `refuse`, 200 to the rest; counts every id."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: set[str] = set()
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        delivery = {k.lower(): v for k, v in headers.items()}[DELIVERY]
        with self._lock:
            self.seen.append(delivery)
        return 503 if delivery in self.refuse else 200


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


def mail_ids(smtp: SmtpSink) -> list[str]:
    return [str(m["X-GridPlus-Delivery"]) for m in smtp.messages]


def test_two_workers_on_one_database_send_each_delivery_once(
    store: Store, clock: ManualClock, smtp: SmtpSink, make_worker: WorkerFactory
) -> None:
    store_emails(store, clock, 60)
    workers = [make_worker(concurrency=6, rate_per_second=NO_LIMIT) for _ in range(2)]

    def drain(worker_index: int) -> None:
        while workers[worker_index].run_once():
            pass

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    rows = listed(store)
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}
    sent = mail_ids(smtp)
    assert sorted(sent) == sorted(str(r.id) for r in rows)  # each once: none missing, none twice


def test_a_failed_send_in_a_batch_retries_only_that_one(
    store: Store, clock: ManualClock, make_worker: WorkerFactory
) -> None:
    receiver = Refusing().start()
    try:
        store_webhooks(store, clock, receiver.url, 8)
        refused = str(listed(store)[3].id)
        receiver.refuse.add(refused)
        worker = make_worker(concurrency=8, rate_per_second=NO_LIMIT)
        assert worker.run_once() == 8  # one batch
        by_id = {str(r.id): r for r in listed(store)}
        assert (by_id[refused].status, by_id[refused].attempts) == (DeliveryStatus.PENDING, 1)
        assert by_id[refused].last_error == "HTTP 503"
        others = {(r.status, r.attempts) for i, r in by_id.items() if i != refused}
        assert others == {(DeliveryStatus.SENT, 1)}
        # Only the refused one comes round again, at its backoff.
        receiver.refuse.clear()
        clock.advance(timedelta(minutes=1))
        assert worker.run_once() == 1
        assert {r.status for r in listed(store)} == {DeliveryStatus.SENT}
        assert sorted(receiver.seen) == sorted([*by_id, refused])
    finally:
        receiver.stop()


def test_a_batch_sent_but_never_recorded_is_sent_again_after_its_lease(
    store: Store,
    clock: ManualClock,
    smtp: SmtpSink,
    make_worker: WorkerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What kill -9 between the sends and their group commit leaves: leased PENDING rows."""
    store_emails(store, clock, 10)

    def dies(*args: object, **kwargs: object) -> set[uuid.UUID]:
        raise RuntimeError("the process died before recording its batch")

    dying = make_worker(concurrency=10, rate_per_second=NO_LIMIT, lease=timedelta(minutes=2))
    with monkeypatch.context() as patch:
        patch.setattr(deliveries, "mark_sent_many", dies)
        dying.run_once()  # the sends went out; their outcome was never written
    rows = listed(store)
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.PENDING, 0)}
    assert len(mail_ids(smtp)) == 10  # received, not recorded
    after = make_worker(concurrency=10, rate_per_second=NO_LIMIT)
    assert after.run_once() == 0  # still leased
    clock.advance(timedelta(minutes=3))
    assert after.run_once() == 10
    rows = listed(store)
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}
    # At least once, as the worker's design says (the same delivery id, so a receiver can tell).
    assert sorted(mail_ids(smtp)) == sorted(2 * [str(r.id) for r in rows])
