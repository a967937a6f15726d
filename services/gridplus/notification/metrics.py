"""Notification's own metrics (the kit's gRPC, consumer and outbox metrics come on top).

The pending-deliveries gauge counts the whole database: with several replicas only the one
holding the backlog lease exports it (`Backlog.gate`, checked at every scrape), so `sum` over the
service's pods counts each delivery once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

NOTICES_CREATED = Counter(
    "gridplus_notification_notices_created_total",
    "Notices created for a recipient, by kind and channel (inbox, email, webhook, sms).",
    ["kind", "channel"],
)
DELIVERIES = Counter(
    "gridplus_notification_deliveries_total",
    "Deliveries that reached a final outcome, by channel and outcome (sent, failed).",
    ["channel", "outcome"],
)
DELIVERY_LATENCY = Histogram(
    "gridplus_notification_delivery_latency_seconds",
    "From a delivery being stored to its endpoint accepting it, retries included.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400),
)
ATTEMPT_SECONDS = Histogram(
    "gridplus_notification_delivery_attempt_seconds",
    "Time one send attempt took, by channel and result (ok, error).",
    ["channel", "result"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RETRIES = Counter(
    "gridplus_notification_delivery_retries_total",
    "Failed attempts that were scheduled for another try, by channel.",
    ["channel"],
)
FAILURES = Counter(
    "gridplus_notification_delivery_failures_total",
    "Deliveries given up (FAILED), by channel and why (refused, exhausted, unsubscribed, "
    "unreadable).",
    ["channel", "reason"],
)
POSTPONED = Counter(
    "gridplus_notification_delivery_postponed_total",
    "Attempts put off without trying, by channel and cause (circuit_open, rate_limited).",
    ["channel", "cause"],
)
CIRCUITS_OPENED = Counter(
    "gridplus_notification_circuits_opened_total",
    "Times an endpoint's circuit breaker opened, by channel.",
    ["channel"],
)
LEASES_LOST = Counter(
    "gridplus_notification_delivery_leases_lost_total",
    "Attempts whose outcome was dropped: the lease ran out and another replica took the "
    "delivery (a send slower than the lease), by channel.",
    ["channel"],
)


class Backlog(Collector):
    """gridplus_notification_deliveries_pending{channel}: the worker's last sample, exported only
    while `exporting()` (this replica holds the backlog lease) and once a sample was taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] | None = None
        self._gate: Callable[[], bool] = lambda: True

    def gate(self, exporting: Callable[[], bool]) -> None:
        self._gate = exporting

    def update(self, counts: Mapping[str, int]) -> None:
        with self._lock:
            self._counts = dict(counts)

    def clear(self) -> None:
        """Drop the sample (another replica exports the backlog)."""
        with self._lock:
            self._counts = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            counts = None if self._counts is None else dict(self._counts)
        family = GaugeMetricFamily(
            "gridplus_notification_deliveries_pending",
            "Deliveries waiting for a first attempt or a retry, by channel (sampled by the "
            "worker; exported by one replica).",
            labels=["channel"],
        )
        if counts is not None and self._gate():
            for channel, count in sorted(counts.items()):
                family.add_metric([channel], count)
        yield family


BACKLOG = Backlog()
REGISTRY.register(BACKLOG)
