"""Notification with several replicas on one database: a worker whose lease ran out cannot
overwrite the result of the replica that took the delivery over; WatchInbox streams an item
committed late under a lower number, in order, and resumes from its cursor on another replica
(real gRPC servers, real webhook receiver, PostgreSQL transactions held open to force the
interleavings)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import grpc
import pytest
from prometheus_client import REGISTRY

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.kit.lease import Lease, new_holder_id
from gridplus.notification.api.convert import received
from gridplus.notification.api.grpc import POLICY, SERVICE_NAME, WATCH_CURSOR_HEADER
from gridplus.notification.handlers.inbox import Inbox
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.metrics import Backlog
from tests.integration.notification.conftest import (
    JWT,
    Store,
    Stub,
    WorkerFactory,
    as_caller,
    notification_servicer,
)
from tests.integration.notification.servers import HttpReceiver
from tests.integration.notification.test_delivery_guarantees import (
    ADMIN,
    ASSIGNED,
    apply,
    assigned_event,
)
from tests.support.eventually import eventually
from tests.support.grpc import serving

pytestmark = pytest.mark.integration


class StallingReceiver(HttpReceiver):
    """Holds the first request until released, then refuses it (HTTP 400); accepts the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        self._calls = 0
        self._lock = threading.Lock()

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self._calls += 1
            first = self._calls == 1
        if first:
            self.first_arrived.set()
            self.release.wait(30)
            return 400
        return 200


def test_an_expired_lease_cannot_overwrite_the_next_holders_result(
    store: Store, api: Stub, notifier: Notifier, clock: ManualClock, make_worker: WorkerFactory
) -> None:
    receiver = StallingReceiver().start()
    api.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(url=receiver.url, event_types=[ASSIGNED]),
        metadata=ADMIN,
    )
    lost_before = (
        REGISTRY.get_sample_value(
            "gridplus_notification_delivery_leases_lost_total", {"channel": "webhook"}
        )
        or 0.0
    )
    replica_a = make_worker(lease=timedelta(minutes=2))
    replica_b = make_worker(lease=timedelta(minutes=2))
    event = assigned_event(clock)
    apply(store, notifier, event)
    slow = threading.Thread(target=replica_a.run_once)
    try:
        slow.start()
        assert receiver.first_arrived.wait(10), "replica A's send reached the receiver"
        # A's send outlives its lease: B takes the delivery over and it goes through.
        clock.advance(timedelta(minutes=3))
        replica_b.run_once()

        def webhook() -> pb.Delivery:
            listed = api.ListDeliveries(pb.ListDeliveriesRequest(event_id=event.id), metadata=ADMIN)
            (found,) = [d for d in listed.deliveries if d.channel == pb.CHANNEL_WEBHOOK]
            return found

        assert webhook().status == pb.DELIVERY_STATUS_SENT
        # Now A's send comes back refused: it must not turn B's SENT into FAILED.
        receiver.release.set()
        slow.join(10)
        assert not slow.is_alive()
        after = webhook()
        assert (after.status, after.attempts, after.last_error) == (
            pb.DELIVERY_STATUS_SENT,
            1,
            "",
        )
        eventually(
            lambda: (
                (
                    REGISTRY.get_sample_value(
                        "gridplus_notification_delivery_leases_lost_total", {"channel": "webhook"}
                    )
                    or 0.0
                )
                == lost_before + 1
            ),
            "A's dropped outcome counted",
        )
    finally:
        receiver.release.set()
        receiver.stop()


# -- WatchInbox: gap-free under late commits, resumable on another replica (PostgreSQL) ------

ME = as_caller("worker-7")
GRACE = timedelta(seconds=10)


def follow(stream: Iterator[pb.WatchInboxResponse]) -> queue.Queue[pb.WatchInboxResponse]:
    """The stream's responses as they come, read on a thread until it ends."""
    received: queue.Queue[pb.WatchInboxResponse] = queue.Queue()

    def read() -> None:
        try:
            for response in stream:
                received.put(response)
        except grpc.RpcError:
            pass  # cancelled or ended

    threading.Thread(target=read, daemon=True).start()
    return received


def watch(api: Stub, cursor: str = "") -> grpc.Future:
    stream = api.WatchInbox(
        pb.WatchInboxRequest(recipient_id="worker-7", cursor=cursor), metadata=ME, timeout=60
    )
    assert dict(stream.initial_metadata())[WATCH_CURSOR_HEADER]  # established
    return stream


def next_petitions(received: queue.Queue[pb.WatchInboxResponse], count: int) -> list[str]:
    return [received.get(timeout=15).item.petition_id for _ in range(count)]


def held_open(store: Store, notifier: Notifier, event: Event) -> Iterator[None]:
    """Apply `event` in a transaction that stays open (its item number taken) while inside."""
    plan = notifier.prepare(received(event))
    with transaction(store.sessions) as session:
        notifier.apply(session, plan)
        yield


@pytest.fixture
def replica_b(
    store: Store, clock: ManualClock, notifier: Notifier, signals: tuple[Signal, Signal]
) -> Iterator[Stub]:
    """A second notification replica on the same database (its own server and signal)."""
    servicer = notification_servicer(store, clock, notifier=notifier, inbox_signal=Signal())

    def register(server: grpc.Server) -> None:
        notification_pb2_grpc.add_NotificationServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield notification_pb2_grpc.NotificationServiceStub(channel)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_item_committed_late_under_a_lower_number_is_streamed_in_order(
    store: Store, api: Stub, notifier: Notifier, clock: ManualClock
) -> None:
    stream = watch(api)
    got = follow(stream)
    feed = Inbox(store.sessions, clock).feed(
        recipient_id="worker-7", after=None, batch=100, gap_grace=GRACE
    )
    try:
        with contextmanager(held_open)(store, notifier, assigned_event(clock, "p-late")):
            # Stored later by the writer's clock, committed first, under the higher number.
            clock.advance(timedelta(seconds=1))
            apply(store, notifier, assigned_event(clock, "p-early"))
            assert feed.read() == []  # held back behind the open transaction's number
        assert [e.petition_id for e in feed.read()] == ["p-late", "p-early"]
        assert next_petitions(got, 2) == ["p-late", "p-early"]
    finally:
        stream.cancel()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_watch_resumes_from_its_cursor_on_another_replica(
    store: Store, api: Stub, replica_b: Stub, notifier: Notifier, clock: ManualClock
) -> None:
    on_a = watch(api)
    got_a = follow(on_a)
    apply(store, notifier, assigned_event(clock, "p-1"))
    first = got_a.get(timeout=15)
    assert first.item.petition_id == "p-1"
    on_a.cancel()  # replica A goes away; the client reconnects to B with its last cursor

    with contextmanager(held_open)(store, notifier, assigned_event(clock, "p-2")):
        clock.advance(timedelta(seconds=1))
        apply(store, notifier, assigned_event(clock, "p-3"))
    on_b = watch(replica_b, first.cursor)
    got_b = follow(on_b)
    try:
        assert next_petitions(got_b, 2) == ["p-2", "p-3"]
        apply(store, notifier, assigned_event(clock, "p-4"))
        assert next_petitions(got_b, 1) == ["p-4"]
        assert got_b.empty()  # nothing repeated
    finally:
        on_b.cancel()

    # A cursor is for its own inbox only.
    other = replica_b.WatchInbox(
        pb.WatchInboxRequest(recipient_id="worker-8", cursor=first.cursor),
        metadata=as_caller("worker-8"),
    )
    with pytest.raises(grpc.RpcError) as refused:
        next(other)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_number_rolled_back_holds_a_stream_only_for_the_grace(
    store: Store, api: Stub, notifier: Notifier, clock: ManualClock
) -> None:
    stream = watch(api)
    got = follow(stream)
    feed = Inbox(store.sessions, clock).feed(
        recipient_id="worker-7", after=None, batch=100, gap_grace=GRACE
    )
    try:
        plan = notifier.prepare(received(assigned_event(clock, "p-gone")))
        with pytest.raises(RuntimeError), transaction(store.sessions) as session:
            notifier.apply(session, plan)
            raise RuntimeError("rolled back")
        apply(store, notifier, assigned_event(clock, "p-kept"))
        if store.engine.dialect.name == "postgresql":
            assert feed.read() == []  # the rolled-back number might still come
            clock.advance(GRACE)
        assert [e.petition_id for e in feed.read()] == ["p-kept"]
        assert next_after_the_grace(got, clock) == "p-kept"
    finally:
        stream.cancel()


def next_after_the_grace(received: queue.Queue[pb.WatchInboxResponse], clock: ManualClock) -> str:
    """The stream's next item, with time moving on as it would: on a busy machine the stream may
    first see the gap only after the test moved the clock, and its grace counts from then."""
    for _ in range(15):
        try:
            return received.get(timeout=1).item.petition_id
        except queue.Empty:
            clock.advance(GRACE)
    raise AssertionError("the stream never passed the rolled-back number")


# -- the pending-deliveries gauge: exported once however many replicas run --------------------


def exported(backlog: Backlog) -> dict[str, float]:
    (family,) = backlog.collect()
    return {sample.labels["channel"]: sample.value for sample in family.samples}


def test_only_the_backlog_lease_holder_exports_the_pending_gauge(
    store: Store, notifier: Notifier, clock: ManualClock, make_worker: WorkerFactory
) -> None:
    ttl = timedelta(seconds=45)
    boards = [Backlog(), Backlog()]
    leases = [
        Lease(store.sessions, "notification-backlog", new_holder_id(name), ttl, clock)
        for name in ("a", "b")
    ]
    a, b = (
        make_worker(backlog_lease=lease, backlog=board)
        for lease, board in zip(leases, boards, strict=True)
    )
    apply(store, notifier, assigned_event(clock, "p-1"))  # email and SMS to worker-7, pending

    assert a.sample_backlog() is not None
    assert b.sample_backlog() is None  # A holds the lease
    pending = exported(boards[0])
    assert pending["email"] >= 1
    assert exported(boards[1]) == {}
    # What a dashboard sums over the service's pods: each delivery once.
    summed = {c: exported(boards[0]).get(c, 0) + exported(boards[1]).get(c, 0) for c in pending}
    assert summed == pending

    # A stops renewing (its node died): B takes over once the lease has run out, and A, not
    # renewed, stops exporting at the next scrape without sampling again.
    clock.advance(ttl + timedelta(seconds=1))
    assert exported(boards[0]) == {}
    assert b.sample_backlog() is not None
    assert exported(boards[1]) == pending
    assert a.sample_backlog() is None
    assert exported(boards[0]) == {}

    # B stops (a rollout): it hands the lease over at once.
    stop = threading.Event()
    stop.set()
    b.run(stop)
    assert exported(boards[1]) == {}
    assert a.sample_backlog() is not None
    assert exported(boards[0]) == pending
