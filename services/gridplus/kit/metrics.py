"""Metrics the kit itself records, declared in one place. Services declare theirs in their own
metrics module. Each process serves /metrics on its own port."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

GRPC_HANDLED = Counter(
    "gridplus_grpc_server_handled_total",
    "gRPC calls completed, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_LATENCY = Histogram(
    "gridplus_grpc_server_handling_seconds",
    "Time to handle a gRPC call.",
    ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("gridplus_outbox_backlog", "Outbox events written but not yet published.")
OUTBOX_PUBLISHED = Counter(
    "gridplus_outbox_published_total", "Outbox events published to Kafka.", ["topic"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "gridplus_outbox_publish_failures_total", "Failed attempts to publish outbox events."
)
EVENTS_CONSUMED = Counter(
    "gridplus_events_consumed_total",
    "Events a consumer finished with, by outcome (applied, duplicate, ignored, dead_lettered).",
    ["consumer", "ce_type", "outcome"],
)
EVENT_HANDLING = Histogram(
    "gridplus_event_handling_seconds",
    "Time to apply one consumed event, including its database transaction.",
    ["consumer", "ce_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CONSUMER_LAG = Gauge(
    "gridplus_consumer_lag",
    "Messages on a partition not yet processed by this consumer.",
    ["consumer", "topic", "partition"],
)
AUTH_REFUSED = Counter(
    "gridplus_auth_refused_total",
    "Calls refused for their token or role, by channel (grpc, http) and reason.",
    ["channel", "reason"],
)


def serve_metrics(port: int) -> None:
    """Serve /metrics from a daemon thread."""
    start_http_server(port, addr="0.0.0.0")


OUTBOX_RELAY_LEADER = Gauge(
    "gridplus_outbox_relay_leader",
    "1 on the replica whose outbox relay holds the publishing lease, else 0 (sums to 1 per "
    "service while events flow; the backlog gauge is reported by that replica only).",
)
LOOP_RESTARTS = Counter(
    "gridplus_loop_restarts_total",
    "Background loops restarted after a database error, by loop.",
    ["loop"],
)
