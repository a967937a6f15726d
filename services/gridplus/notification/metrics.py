"""Notification's own metrics (the kit's gRPC, consumer and outbox metrics come on top)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
BACKLOG = Gauge(
    "gridplus_notification_deliveries_pending",
    "Deliveries waiting for a first attempt or a retry, by channel (sampled by the worker).",
    ["channel"],
)
