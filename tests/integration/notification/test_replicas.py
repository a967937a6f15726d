"""Notification with several replicas on one database: a worker whose lease ran out cannot
overwrite the result of the replica that took the delivery over (SQLite and PostgreSQL, real
webhook receiver, the interleaving forced with events)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.kit.clock import ManualClock
from gridplus.notification.handlers.notices import Notifier
from tests.integration.notification.conftest import Store, Stub, WorkerFactory
from tests.integration.notification.servers import HttpReceiver
from tests.integration.notification.test_delivery_guarantees import (
    ADMIN,
    ASSIGNED,
    apply,
    assigned_event,
)
from tests.support.eventually import eventually

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
