"""The petition service's own metrics (the kit's gRPC, outbox and consumer metrics come free)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from gridplus.kit.db import SessionFactory
from gridplus.petition.storage.models import PetitionRow

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
TRANSITIONS = Counter(
    "gridplus_petition_transitions_total",
    "Status changes written (with their event), by from and to status.",
    ["from_status", "to_status"],
)
PHOTOS_STORED = Counter(
    "gridplus_petition_photos_stored_total",
    "Photos stored after cleaning, by stage (REPORT or RESOLUTION).",
    ["stage"],
)


class PetitionsByStatus(Collector):
    """gridplus_petitions{status}: petitions in each status, counted by the database at scrape
    time (an indexed GROUP BY), so every replica reports the same truth."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "gridplus_petitions", "Petitions in each lifecycle status.", labels=["status"]
        )
        try:
            with self._sessions() as session:
                rows = session.execute(
                    select(PetitionRow.status, func.count()).group_by(PetitionRow.status)
                ).all()
        except SQLAlchemyError:
            return  # the scrape goes on without it; readyz reports the database
        for status, count in rows:
            family.add_metric([status], count)
        yield family

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())
