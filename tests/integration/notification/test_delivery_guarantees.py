"""Retries with backoff on the injected clock, FAILED after the last one with its reason, a
circuit breaker per endpoint, per-channel rate limits, one delivery per (event, recipient,
channel) — against a real SMTP server, real webhook receivers and a real SMS gateway."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.notification.api.convert import received
from gridplus.notification.domain.notices import Channel
from gridplus.notification.handlers.notices import Notifier
from tests.integration.notification.conftest import (
    Store,
    Stub,
    WorkerFactory,
    as_caller,
)
from tests.integration.notification.servers import SmsGateway, SmtpSink, WebhookReceiver
from tests.support.eventually import eventually
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

ADMIN = as_caller("ops", Role.ADMIN)
ASSIGNED = "gridplus.events.v1.PetitionAssigned"
GRID = common_pb2.GridRef(code="G-01-01-01", level=3)


def assigned_event(clock: ManualClock, petition_id: str = "") -> Event:
    payload = events_pb2.PetitionAssigned(
        petition_id=petition_id or f"p-{uuid.uuid4().hex[:8]}", grid=GRID, assignee_id="worker-7"
    )
    payload.deadline.FromDatetime(clock.now() + timedelta(hours=2))
    return Event.create(
        payload, key=payload.petition_id, source="/gridplus/dispatch", time=clock.now()
    )


def apply(store: Store, notifier: Notifier, event: Event) -> None:
    plan = notifier.prepare(received(event))
    with transaction(store.sessions) as session:
        notifier.apply(session, plan)


def subscribe(api: Stub, receiver: WebhookReceiver) -> None:
    created = api.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(url=receiver.url, event_types=[ASSIGNED]),
        metadata=ADMIN,
    )
    receiver.secret = created.secret


def webhook_status(api: Stub, event: Event) -> dict[str, pb.Delivery]:
    listed = api.ListDeliveries(pb.ListDeliveriesRequest(event_id=event.id), metadata=ADMIN)
    subscriptions = api.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=ADMIN
    ).subscriptions
    url_of = {s.id: s.url for s in subscriptions}
    return {url_of[d.recipient_id]: d for d in listed.deliveries if d.channel == pb.CHANNEL_WEBHOOK}


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_receiver_down_for_a_while_gets_it_later_one_never_back_ends_failed(
    store: Store,
    api: Stub,
    notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    make_worker: WorkerFactory,
) -> None:
    comes_back = WebhookReceiver(clock)  # not started yet: connections are refused
    never_back = WebhookReceiver(clock, port=free_port())
    healthy = WebhookReceiver(clock).start()
    for receiver in (comes_back, never_back, healthy):
        subscribe(api, receiver)
    failed_before = metric(
        "gridplus_notification_delivery_failures_total", channel="webhook", reason="exhausted"
    )
    retries_before = metric("gridplus_notification_delivery_retries_total", channel="webhook")
    worker = make_worker()  # 4 attempts, 10 s doubling, jitter at mid-range: waits 7.5, 15, 30 s
    first = assigned_event(clock)
    apply(store, notifier, first)
    try:
        worker.run_once()
        status = webhook_status(api, first)
        assert status[healthy.url].status == pb.DELIVERY_STATUS_SENT
        down = status[comes_back.url]
        assert down.status == pb.DELIVERY_STATUS_PENDING
        assert down.attempts == 1
        assert "unreachable" in down.last_error
        assert down.next_attempt_at.ToDatetime().timestamp() == pytest.approx(
            (clock.now() + timedelta(seconds=7.5)).timestamp()
        )
        assert len(smtp.to("worker7@gov.example")) == 1  # email did not wait for anyone

        # Not due yet: nothing is tried again.
        clock.advance(timedelta(seconds=7))
        assert worker.run_once() == 0

        comes_back.start()
        clock.advance(timedelta(seconds=1))
        worker.run_once()
        status = webhook_status(api, first)
        assert status[comes_back.url].status == pb.DELIVERY_STATUS_SENT
        assert status[comes_back.url].attempts == 2
        assert len(comes_back.received) == 1

        # While one receiver stays down, a new event reaches everyone else at once.
        second = assigned_event(clock)
        apply(store, notifier, second)
        worker.run_once()
        status = webhook_status(api, second)
        assert status[healthy.url].status == pb.DELIVERY_STATUS_SENT
        assert status[comes_back.url].status == pb.DELIVERY_STATUS_SENT

        for _ in range(10):
            clock.advance(timedelta(seconds=60))
            worker.run_once()
        gone = webhook_status(api, first)[never_back.url]
        assert gone.status == pb.DELIVERY_STATUS_FAILED
        assert gone.attempts == 4
        assert gone.last_error.startswith("gave up after 4 attempts: unreachable")
        failed = api.ListDeliveries(
            pb.ListDeliveriesRequest(status=pb.DELIVERY_STATUS_FAILED), metadata=ADMIN
        ).deliveries
        assert {d.event_id for d in failed} == {first.id, second.id}
        assert len(healthy.received) == 2 and healthy.repeats == 0
        assert comes_back.repeats == 0
    finally:
        comes_back.stop()
        healthy.stop()
    assert (
        metric(
            "gridplus_notification_delivery_failures_total", channel="webhook", reason="exhausted"
        )
        == failed_before + 2
    )
    assert metric("gridplus_notification_delivery_retries_total", channel="webhook") >= (
        retries_before + 1 + 3 + 3
    )


def test_an_open_circuit_postpones_without_spending_attempts(
    store: Store,
    api: Stub,
    notifier: Notifier,
    clock: ManualClock,
    make_worker: WorkerFactory,
) -> None:
    dead = WebhookReceiver(clock, port=free_port())
    subscribe(api, dead)
    worker = make_worker(breaker_threshold=2, breaker_rest=timedelta(seconds=300))
    events = [assigned_event(clock) for _ in range(3)]
    apply(store, notifier, events[0])
    apply(store, notifier, events[1])
    worker.run_once()  # two failures at the same endpoint: the circuit opens
    postponed_before = metric(
        "gridplus_notification_delivery_postponed_total", channel="webhook", cause="circuit_open"
    )
    apply(store, notifier, events[2])
    worker.run_once()
    third = webhook_status(api, events[2])[dead.url]
    assert third.status == pb.DELIVERY_STATUS_PENDING
    assert third.attempts == 0  # put off, not tried
    assert third.next_attempt_at.ToDatetime().timestamp() == pytest.approx(
        (clock.now() + timedelta(seconds=300)).timestamp()
    )
    assert (
        metric(
            "gridplus_notification_delivery_postponed_total",
            channel="webhook",
            cause="circuit_open",
        )
        == postponed_before + 1
    )

    # After the rest, one trial goes out; the receiver is back, so the circuit closes.
    dead.start()
    try:
        clock.advance(timedelta(seconds=301))
        assert worker.run_once() >= 1  # the trial (others follow once it has answered)
        clock.advance(timedelta(seconds=5))
        worker.run_once()
        assert {d.status for d in webhook_status(api, events[2]).values()} == {
            pb.DELIVERY_STATUS_SENT
        }
    finally:
        dead.stop()


def test_the_same_event_applied_again_creates_nothing_new(
    store: Store,
    api: Stub,
    notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    make_worker: WorkerFactory,
) -> None:
    # E.g. replayed from the DLQ under another consumer name: the unique key holds.
    receiver = WebhookReceiver(clock).start()
    try:
        subscribe(api, receiver)
        event = assigned_event(clock)
        for _ in range(3):
            apply(store, notifier, event)
        worker = make_worker()
        worker.run_once()
        for _ in range(2):
            apply(store, notifier, event)
        assert worker.run_once() == 0
        assert len(smtp.to("worker7@gov.example")) == 1
        assert len(receiver.received) == 1
    finally:
        receiver.stop()
    listed = api.ListDeliveries(pb.ListDeliveriesRequest(event_id=event.id), metadata=ADMIN)
    assert sorted(d.channel for d in listed.deliveries) == [pb.CHANNEL_EMAIL, pb.CHANNEL_WEBHOOK]


def test_overdue_goes_out_by_sms_in_the_recipients_language(
    store: Store,
    notifier: Notifier,
    clock: ManualClock,
    sms_gateway: SmsGateway,
    make_worker: WorkerFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    payload = events_pb2.PetitionOverdue(
        petition_id="p-9", grid=GRID, assignee_id="worker-7", department_code="roads"
    )
    payload.deadline.FromDatetime(clock.now())
    event = Event.create(payload, key="p-9", source="/gridplus/dispatch", time=clock.now())
    apply(store, notifier, event)
    make_worker().run_once()
    texts = {r.json()["to"]: r.json() for r in sms_gateway.received}
    # The assignee and the grid chief have phones; the department head has email only.
    assert set(texts) == {"13900000007", "13900000003"}
    assert "超时" in texts["13900000007"]["text"]
    assert "overdue" in texts["13900000003"]["text"]
    assert all(len(body["reference"]) == 36 for body in texts.values())
    # Our logs name ids only: no phone number or email address (the test servers' own may).
    ours = " ".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith("gridplus")
    )
    assert "delivery sent" in ours
    assert "1390000000" not in ours and "@gov.example" not in ours


@pytest.mark.parametrize(
    ("status", "final"), [(400, True), (410, True), (503, False), (429, False)]
)
def test_a_refusal_fails_at_once_a_busy_receiver_is_retried(
    store: Store,
    api: Stub,
    notifier: Notifier,
    clock: ManualClock,
    make_worker: WorkerFactory,
    status: int,
    final: bool,
) -> None:
    receiver = WebhookReceiver(clock).start()
    receiver.status = status
    try:
        subscribe(api, receiver)
        event = assigned_event(clock)
        apply(store, notifier, event)
        make_worker().run_once()
    finally:
        receiver.stop()
    delivery = webhook_status(api, event)[receiver.url]
    if final:
        assert delivery.status == pb.DELIVERY_STATUS_FAILED
        assert delivery.last_error == f"refused: HTTP {status}"
    else:
        assert delivery.status == pb.DELIVERY_STATUS_PENDING
        assert delivery.last_error == f"HTTP {status}"


def test_a_channel_rate_limit_spreads_sends_out(
    store: Store,
    notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    make_worker: WorkerFactory,
) -> None:
    worker = make_worker(rate_per_second={Channel.EMAIL: 1.0})
    for _ in range(3):
        apply(store, notifier, assigned_event(clock))
    assert worker.sample_backlog() == {"email": 3}
    assert metric("gridplus_notification_deliveries_pending", channel="email") == 3
    assert worker.run_once() == 1
    assert worker.run_once() == 0  # the others wait for tokens
    clock.advance(timedelta(seconds=1))
    assert worker.run_once() == 1
    clock.advance(timedelta(seconds=1))
    assert worker.run_once() == 1
    assert len(smtp.to("worker7@gov.example")) == 3
    assert worker.sample_backlog() == {}


def test_the_worker_loop_sends_in_the_background_and_stops_when_asked(
    store: Store,
    notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    make_worker: WorkerFactory,
) -> None:
    worker = make_worker(poll_seconds=0.05)
    stop = threading.Event()
    loop = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    loop.start()
    try:
        apply(store, notifier, assigned_event(clock))
        eventually(
            lambda: smtp.to("worker7@gov.example"), "the email reached the relay", timeout=10
        )
        assert len(smtp.to("worker7@gov.example")) == 1
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
