"""Issue 13: a poll batch's notices written with one statement per table, webhook subscribers
kept per process, an idle delivery worker that claims rarely — with the same guarantees as one
event per transaction: every inbox item numbered once, in event order; a repeated event stores
nothing and takes no number; a removed subscription receives nothing; local work is sent at once.
On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.notification.domain.events import Received
from gridplus.notification.domain.notices import Channel, Notice, NoticeKind, Recipient
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.notices import Addressed, Notifier, Plan
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.storage import deliveries, inbox_items, subscriptions
from gridplus.notification.storage.models import Delivery, InboxItem, WebhookSubscription
from tests.integration.notification.conftest import KEYS, Store, WorkerFactory
from tests.integration.notification.servers import HttpReceiver, SmtpSink
from tests.support.eventually import eventually
from tests.unit.notification.fakes import FakeDirectory

pytestmark = pytest.mark.integration

ASSIGNED = "gridplus.events.v1.PetitionAssigned"
PEOPLE = (
    Recipient("worker-7", email="worker7@gov.example"),
    Recipient("res-1", email="resident1@mail.example"),
)


@pytest.fixture
def wake() -> Signal:
    return Signal()


@pytest.fixture
def local_notifier(clock: ManualClock, wake: Signal) -> Notifier:
    return Notifier(
        FakeDirectory(), ChannelPolicy(email=True), clock, keys=KEYS, delivery_signal=wake
    )


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    started = HttpReceiver().start()
    yield started
    started.stop()


def plan(clock: ManualClock, petition_id: str, *, twice: bool = False) -> Plan:
    """An assignment told to PEOPLE in the inbox and by email (each twice with `twice`)."""
    event = Received(str(uuid.uuid4()), ASSIGNED, clock.now(), petition_id, None, "{}")
    channels = (Channel.INBOX, Channel.EMAIL)
    addressed = [
        Addressed(
            Notice(r.person_id, NoticeKind.PETITION_ASSIGNED, petition_id, "t", "b"), r, channels
        )
        for r in PEOPLE * (2 if twice else 1)
    ]
    return Plan(event, addressed)


def apply_batch(store: Store, notifier: Notifier, plans: list[Plan]) -> None:
    """As the kit's consumer applies a poll batch: every event in one transaction."""
    with transaction(store.sessions) as session:
        for each in plans:
            notifier.apply(session, each)


def numbered(store: Store, recipient_id: str) -> list[tuple[int, str]]:
    """The recipient's items as WatchInbox streams them: (number, petition), in number order."""
    with transaction(store.sessions) as session:
        entries = inbox_items.numbered_after(
            session, recipient_id=recipient_id, after=0, up_to=10**9, limit=1000
        )
    return [(entry.seq or 0, entry.petition_id) for entry in entries]


def rows(store: Store, table: type[InboxItem] | type[Delivery]) -> int:
    with transaction(store.sessions) as session:
        return len(session.scalars(select(table.id)).all())


def test_a_batch_numbers_every_item_once_in_event_order(
    store: Store, local_notifier: Notifier, clock: ManualClock
) -> None:
    first = [plan(clock, f"p-{i}") for i in range(5)]
    apply_batch(store, local_notifier, first)
    apply_batch(store, local_notifier, [plan(clock, "p-5"), plan(clock, "p-6")])

    for person in PEOPLE:
        petitions = [petition for _, petition in numbered(store, person.person_id)]
        assert petitions == [f"p-{i}" for i in range(7)]
    with transaction(store.sessions) as session:
        last = inbox_items.last_seq(session)
        assert inbox_items.first_gap(session, after=0, up_to=last) is None
    numbers = sorted(n for person in PEOPLE for n, _ in numbered(store, person.person_id))
    assert numbers == list(range(numbers[0], numbers[0] + 14))  # 7 events x 2 people, no gap
    assert rows(store, Delivery) == 14  # an email each

    # The first batch again (a replay): nothing stored, no number taken.
    apply_batch(store, local_notifier, first)
    assert rows(store, InboxItem) == 14
    assert rows(store, Delivery) == 14
    apply_batch(store, local_notifier, [plan(clock, "p-7")])
    with transaction(store.sessions) as session:
        assert inbox_items.first_gap(session, after=0, up_to=inbox_items.last_seq(session)) is None
    assert numbered(store, "worker-7")[-1][1] == "p-7"


def test_a_rolled_back_batch_leaves_no_item_and_the_next_is_streamed_in_order(
    store: Store, local_notifier: Notifier, clock: ManualClock
) -> None:
    apply_batch(store, local_notifier, [plan(clock, "p-0")])
    with pytest.raises(RuntimeError), transaction(store.sessions) as session:
        local_notifier.apply(session, plan(clock, "p-lost"))
        raise RuntimeError("the batch failed")
    apply_batch(store, local_notifier, [plan(clock, "p-1"), plan(clock, "p-2")])

    assert [p for _, p in numbered(store, "worker-7")] == ["p-0", "p-1", "p-2"]
    numbers = [n for n, _ in numbered(store, "res-1")]
    assert numbers == sorted(set(numbers))


def notices_created(channel: str) -> float:
    labels = {"kind": NoticeKind.PETITION_ASSIGNED.value, "channel": channel}
    return REGISTRY.get_sample_value("gridplus_notification_notices_created_total", labels) or 0


def test_every_event_of_a_batch_is_counted_once_it_commits_and_none_of_a_rolled_back_one(
    store: Store, local_notifier: Notifier, clock: ManualClock, wake: Signal
) -> None:
    inboxed, emailed, woken = notices_created("inbox"), notices_created("email"), wake.version
    with pytest.raises(RuntimeError), transaction(store.sessions) as session:
        for each in [plan(clock, "p-lost-1"), plan(clock, "p-lost-2")]:
            local_notifier.apply(session, each)
        raise RuntimeError("the batch failed")
    assert (notices_created("inbox"), notices_created("email")) == (inboxed, emailed)
    assert wake.version == woken  # nothing stored: the worker is not woken

    apply_batch(store, local_notifier, [plan(clock, f"p-{i}") for i in range(3)])
    assert notices_created("inbox") == inboxed + 6  # 3 events x 2 people
    assert notices_created("email") == emailed + 6
    assert wake.version > woken


def test_a_notice_listed_twice_in_one_event_is_stored_once(
    store: Store, local_notifier: Notifier, clock: ManualClock
) -> None:
    apply_batch(store, local_notifier, [plan(clock, "p-1", twice=True)])

    assert rows(store, InboxItem) == 2
    assert rows(store, Delivery) == 2
    with transaction(store.sessions) as session:
        assert inbox_items.first_gap(session, after=0, up_to=inbox_items.last_seq(session)) is None


def subscribe(store: Store, clock: ManualClock, url: str) -> uuid.UUID:
    with transaction(store.sessions) as session:
        made = subscriptions.create(
            session,
            owner_id="ops",
            url=url,
            secret="s" * 32,
            event_types=[ASSIGNED],
            now=clock.now(),
        )
    return made.id


def webhooks_of(store: Store, event_id: str) -> list[tuple[str, str]]:
    with transaction(store.sessions) as session:
        found = deliveries.get_all(session, event_id=event_id)
    return [(d.status.value, d.last_error) for d in found if d.channel == Channel.WEBHOOK]


def test_subscriptions_changed_in_this_process_count_at_once(
    store: Store, local_notifier: Notifier, clock: ManualClock
) -> None:
    before = plan(clock, "p-0")
    apply_batch(store, local_notifier, [before])  # the (empty) live list is now held
    subscription_id = subscribe(store, clock, "http://127.0.0.1:9/hooks")
    during = plan(clock, "p-1")
    apply_batch(store, local_notifier, [during])
    with transaction(store.sessions) as session:
        subscriptions.delete(session, subscription_id, now=clock.now())
    after = plan(clock, "p-2")
    apply_batch(store, local_notifier, [after])

    assert webhooks_of(store, before.received.event_id) == []
    assert webhooks_of(store, during.received.event_id) == [("pending", "")]
    assert webhooks_of(store, after.received.event_id) == []


def test_a_subscription_removed_by_another_replica_receives_nothing(
    store: Store,
    local_notifier: Notifier,
    clock: ManualClock,
    receiver: HttpReceiver,
    make_worker: WorkerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription_id = subscribe(store, clock, receiver.url)
    worker = make_worker()
    live = plan(clock, "p-0")
    apply_batch(store, local_notifier, [live])
    worker.run_once()
    assert len(receiver.requests) == 1

    # Another replica removes it: this process still holds it as live for a few seconds.
    with transaction(store.sessions) as session:
        session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id)
            .values(deleted_at=clock.now())
        )
    held = plan(clock, "p-1")
    apply_batch(store, local_notifier, [held])
    worker.run_once()
    assert webhooks_of(store, held.received.event_id) == [("failed", "subscription removed")]
    assert len(receiver.requests) == 1  # nothing sent after the removal

    # Past LIVE_SECONDS the removal is seen here too: no delivery at all.
    later = time.monotonic() + subscriptions.LIVE_SECONDS + 1
    monkeypatch.setattr(subscriptions.LIVE, "_monotonic", lambda: later)
    gone = plan(clock, "p-2")
    apply_batch(store, local_notifier, [gone])
    assert webhooks_of(store, gone.received.event_id) == []


def test_an_idle_worker_claims_rarely_and_wakes_for_work_stored_here(
    store: Store,
    local_notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    wake: Signal,
    make_worker: WorkerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claims: list[float] = []
    claim_due = deliveries.claim_due

    def counted(*args: object, **kwargs: object) -> list[deliveries.Claimed]:
        claims.append(time.monotonic())
        return claim_due(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deliveries, "claim_due", counted)
    worker = make_worker(poll_seconds=0.05, idle_polls=200)  # idle: at most 10 s between claims
    worker._wake = wake  # as __main__ wires it: the notifier's delivery signal
    stop = threading.Event()
    loop = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    loop.start()
    try:
        time.sleep(1.0)
        assert 1 <= len(claims) <= 2  # polling every 0.05 s would have claimed ~20 times
        started = time.monotonic()
        apply_batch(store, local_notifier, [plan(clock, "p-1")])
        eventually(lambda: smtp.to("worker7@gov.example"), "the email was sent", timeout=8)
        assert time.monotonic() - started < 8  # woken, not the 10 s idle wait
    finally:
        stop.set()
        wake.notify()
        loop.join(10)
    assert not loop.is_alive()


def test_a_retry_due_soon_shortens_the_idle_wait(
    store: Store, local_notifier: Notifier, clock: ManualClock, make_worker: WorkerFactory
) -> None:
    worker = make_worker(poll_seconds=0.05, idle_polls=200)
    assert worker.dispatch(wait_for_sends=False) == 0
    assert worker._idle_wait(until_sample=60) == pytest.approx(10)  # nothing pending
    apply_batch(store, local_notifier, [plan(clock, "p-1")])
    with transaction(store.sessions) as session:
        session.execute(update(Delivery).values(next_attempt_at=clock.now() + timedelta(seconds=3)))
    assert worker.dispatch(wait_for_sends=False) == 0
    assert worker._idle_wait(until_sample=60) == pytest.approx(3)
    assert worker._idle_wait(until_sample=1) == pytest.approx(1)  # the backlog sample first
