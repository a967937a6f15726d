"""grid-registry's own Prometheus metrics (the kit records gRPC, outbox and consumer metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from gridplus.grid_registry.domain.grids import MAX_LEVEL, MIN_LEVEL

FOUND = "found"
SNAPPED = "snapped"
OUT_OF_JURISDICTION = "out_of_jurisdiction"
LOCATE_OUTCOMES = (FOUND, SNAPPED, OUT_OF_JURISDICTION)

GRIDS = Gauge("gridplus_grids", "Grids in the grid set this process serves, by level.", ["level"])
GRID_SET_VERSION = Gauge(
    "gridplus_grid_set_version", "Version of the grid set this process serves (0: none yet)."
)
LOCATES = Counter(
    "gridplus_grid_locate_total",
    "Points located, by outcome (found, snapped, out_of_jurisdiction).",
    ["outcome"],
)
LOCATE_SECONDS = Histogram(
    "gridplus_grid_locate_seconds",
    "Time to locate one point in the in-memory grid set.",
    ["outcome"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)

# Every series exists from the start, so rates and alerts see zeros instead of gaps; each
# outcome's series is looked up once (labels() hashes and locks on every call: LocateGrid's).
LOCATES_BY_OUTCOME = {outcome: LOCATES.labels(outcome) for outcome in LOCATE_OUTCOMES}
LOCATE_SECONDS_BY_OUTCOME = {outcome: LOCATE_SECONDS.labels(outcome) for outcome in LOCATE_OUTCOMES}
for _level in range(MIN_LEVEL, MAX_LEVEL + 1):
    GRIDS.labels(str(_level))
