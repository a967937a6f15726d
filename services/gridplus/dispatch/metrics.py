"""Dispatch's own metrics (the kit's gRPC, consumer and outbox metrics come on top).

The light board (open petitions by light x level-1 grid x level-2 grid x department) is a
snapshot the deadline scanner refreshes from one GROUP BY query; it is served by a collector so a
label set that empties (the last red petition of a grid resolved) disappears instead of lingering.
Its counts are database-wide: with several replicas only the one holding the light-board lease
exports them (`gate`), so `sum` over the service's pods counts each petition once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

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
CATEGORY_CHOICES = Counter(
    "gridplus_dispatch_category_choices_total",
    "How petitions got their category: given, classified, triage (chosen in triage), "
    "triage_queue (sent to the triage queue).",
    ["source"],
)
OVERDUE_DETECTED = Counter(
    "gridplus_dispatch_overdue_detected_total",
    "Step deadlines breached (one PetitionOverdue each).",
)
ESCALATIONS = Counter(
    "gridplus_dispatch_escalations_total",
    "Overdue petitions escalated, by rung of the escalation ladder.",
    ["rung"],
)
SCAN_SECONDS = Histogram(
    "gridplus_dispatch_scan_seconds",
    "Time of one deadline scan tick (newly overdue and escalations).",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
WHISTLE_REPORTS_LATE = Counter(
    "gridplus_dispatch_whistle_reports_late_total",
    "Whistle reports that passed their deadline unmade (one WhistleReportOverdue each).",
    ["department"],
)
WHISTLE_REPORT_SECONDS = Histogram(
    "gridplus_dispatch_whistle_report_seconds",
    "Time from a whistle to a summoned department's report.",
    ["department"],
    buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800),
)

REFUSALS = Counter(
    "gridplus_dispatch_refusals_total",
    "Petitions refused (退单) by a department.",
    ["department"],
)

VISITS_RECORDED = Counter(
    "gridplus_dispatch_visits_recorded_total",
    "Household visits (走访) recorded by grid workers, by level-1 grid.",
    ["grid_level1"],
)
CARE_OVERDUE_DETECTED = Counter(
    "gridplus_dispatch_care_visits_overdue_detected_total",
    "Care visits missed (one CareVisitOverdue each).",
)

NO_DEPARTMENT = "none"  # label value while responsibility is unresolved


class LightCount(Protocol):
    @property
    def light(self) -> str: ...
    @property
    def grid_level1(self) -> str: ...
    @property
    def grid_level2(self) -> str: ...
    @property
    def department_code(self) -> str: ...
    @property
    def count(self) -> int: ...


class WhistleCount(Protocol):
    @property
    def light(self) -> str: ...
    @property
    def department_code(self) -> str: ...
    @property
    def count(self) -> int: ...


class LightBoard(Collector):
    """gridplus_dispatch_open_petitions{light,grid_level1,grid_level2,department} and
    gridplus_dispatch_overdue_petitions (the red ones) from the last snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: list[tuple[str, str, str, str, int]] = []
        self._whistles: list[tuple[str, str, int]] = []
        self._ready = False
        self._gate: Callable[[], bool] = lambda: True

    def gate(self, exporting: Callable[[], bool]) -> None:
        """Export the snapshot only while `exporting()` (this replica holds the lease): checked
        at every scrape, so a replica that stalled stops exporting when its lease runs out."""
        self._gate = exporting

    def clear(self) -> None:
        """Drop the snapshot (another replica exports the counts)."""
        with self._lock:
            self._counts, self._whistles, self._ready = [], [], False

    def update_whistles(self, counts: Iterable[WhistleCount]) -> None:
        snapshot = [(c.light, c.department_code, c.count) for c in counts]
        with self._lock:
            self._whistles = snapshot

    def update(self, counts: Iterable[LightCount]) -> None:
        snapshot = [
            (c.light, c.grid_level1, c.grid_level2, c.department_code or NO_DEPARTMENT, c.count)
            for c in counts
        ]
        with self._lock:
            self._counts = snapshot
            self._ready = True

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            counts: Sequence[tuple[str, str, str, str, int]] = list(self._counts)
            owed = list(self._whistles)
            ready = self._ready
        if not self._gate():
            counts, owed, ready = [], [], False
        open_petitions = GaugeMetricFamily(
            "gridplus_dispatch_open_petitions",
            "Open petitions by light (green, yellow, red), level-1 grid, level-2 grid and "
            "department.",
            labels=["light", "grid_level1", "grid_level2", "department"],
        )
        for light, level1, level2, department, count in counts:
            open_petitions.add_metric([light, level1, level2, department], count)
        overdue = GaugeMetricFamily(
            "gridplus_dispatch_overdue_petitions",
            "Open petitions past their step deadline (red light), all grids.",
        )
        if ready:
            overdue.add_metric([], sum(c[4] for c in counts if c[0] == "red"))
        whistles = GaugeMetricFamily(
            "gridplus_dispatch_open_whistle_reports",
            "Whistle reports (吹哨报到) departments still owe, by light and department.",
            labels=["light", "department"],
        )
        for light, department, count in owed:
            whistles.add_metric([light, department], count)
        yield open_petitions
        yield overdue
        yield whistles


LIGHTS = LightBoard()
REGISTRY.register(LIGHTS)


class CareCount(Protocol):
    @property
    def grid_code(self) -> str: ...
    @property
    def light(self) -> str: ...
    @property
    def count(self) -> int: ...


class CareBoard(Collector):
    """gridplus_dispatch_care_visits_overdue{grid} (red) and
    gridplus_dispatch_care_visits_due_soon{grid} (yellow), by level-3 grid, from the last
    snapshot; gated like the light board (one replica exports the database-wide counts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: list[tuple[str, str, int]] = []
        self._gate: Callable[[], bool] = lambda: True

    def gate(self, exporting: Callable[[], bool]) -> None:
        self._gate = exporting

    def clear(self) -> None:
        with self._lock:
            self._counts = []

    def update(self, counts: Iterable[CareCount]) -> None:
        snapshot = [(c.grid_code, c.light, c.count) for c in counts]
        with self._lock:
            self._counts = snapshot

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            counts = list(self._counts) if self._gate() else []
        overdue = GaugeMetricFamily(
            "gridplus_dispatch_care_visits_overdue",
            "Special-care members whose care visit is past due (red light), by level-3 grid.",
            labels=["grid"],
        )
        due_soon = GaugeMetricFamily(
            "gridplus_dispatch_care_visits_due_soon",
            "Special-care members in the last quarter of their visit interval (yellow light), "
            "by level-3 grid.",
            labels=["grid"],
        )
        for grid, light, count in counts:
            if light == "red":
                overdue.add_metric([grid], count)
            elif light == "yellow":
                due_soon.add_metric([grid], count)
        yield overdue
        yield due_soon


CARE = CareBoard()
REGISTRY.register(CARE)
