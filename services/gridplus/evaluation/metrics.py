"""Evaluation's own metrics (the kit's gRPC, consumer and outbox metrics come on top).

The rate gauges cover the current calendar month (UTC) and are refreshed by a loop every
GRIDPLUS_EVALUATION_GAUGES_SECONDS from the same scorecards the API serves.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

FOLLOW_UPS = Counter(
    "gridplus_evaluation_follow_ups_total",
    "Follow-ups completed, by outcome (satisfied, unsatisfied, no_response) and via "
    "(rating, visit, timeout).",
    ["outcome", "via"],
)
SATISFACTION_RATE = Gauge(
    "gridplus_evaluation_satisfaction_rate",
    "Satisfaction rate (satisfied / answered follow-ups) this month, per level-1 grid "
    "(kind=grid) and per department (kind=department); 0 without answers.",
    ["kind", "subject"],
)
ON_TIME_RATE = Gauge(
    "gridplus_evaluation_on_time_rate",
    "On-time rate (resolutions without a deadline breach / resolutions) this month, per "
    "level-1 grid (kind=grid) and per department (kind=department); 0 without resolutions.",
    ["kind", "subject"],
)
ANSWERED_FOLLOW_UPS = Gauge(
    "gridplus_evaluation_answered_follow_ups",
    "Answered follow-ups this month (the satisfaction rate's denominator), per level-1 grid "
    "and department.",
    ["kind", "subject"],
)
RESOLUTIONS = Gauge(
    "gridplus_evaluation_resolutions",
    "Resolutions this month (the on-time rate's denominator), per level-1 grid and department.",
    ["kind", "subject"],
)
