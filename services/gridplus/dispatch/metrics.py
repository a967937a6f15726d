"""Dispatch's own metrics (the kit's gRPC, consumer and outbox metrics come on top)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ASSIGNMENTS = Counter(
    "gridplus_dispatch_assignments_total",
    "Petitions assigned to a grid worker or chief, by level-1 grid and assignee role.",
    ["grid_level1", "assignee_role"],
)
ROUTING_FAILURES = Counter(
    "gridplus_dispatch_routing_failures_total",
    "Petitions dispatch could not route, by reason code (OUT_OF_JURISDICTION, NO_ASSIGNEE, ...).",
    ["reason_code"],
)
ROUTING_SECONDS = Histogram(
    "gridplus_dispatch_routing_seconds",
    "Time to route one petition: grid lookup, members, choice and storage, by outcome.",
    ["outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
