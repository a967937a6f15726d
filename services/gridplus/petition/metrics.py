"""The petition service's own metrics (the kit's gRPC, outbox and consumer metrics come free)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PETITIONS_SUBMITTED = Counter(
    "gridplus_petitions_submitted_total",
    "Petitions recorded (idempotent replays not counted), by intake channel.",
    ["source"],
)
HTTP_REQUESTS = Counter(
    "gridplus_petition_http_requests_total",
    "HTTP requests answered by the resident API, by route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "gridplus_petition_http_request_seconds",
    "Time to answer an HTTP request, by route template and status code.",
    ["method", "route", "status"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
