"""Hot spots (counts per grid and category over consecutive periods, judged by the rising rule
of domain/trends.py) and repeat locations (points of open and recent petitions clustered within
tens of metres), computed from the petition points evaluation keeps from events.

Repeat locations: DBSCAN (scikit-learn) on latitude/longitude in radians with the haversine
metric; `eps` is the radius in metres over the Earth's mean radius (6,371,008.8 m). A cluster is
`min_points` or more petitions each within the radius of another one in it (density-reachable),
so a street with a problem every 40 m forms one cluster at radius 50 m. Points that belong to no
cluster are not repeats and are left out.

Who sees what (as evaluation's scorecards): admins, inspectors and services every petition;
grid workers and chiefs the petitions whose grid path holds one of their token's grids;
department staff and heads the petitions their department holds. Clusters and counts are built
from the visible petitions only, so nobody learns of another grid's points through a cluster.

scikit-learn (with scipy) and numpy are imported by the first clustering, not with the module: an
idle replica does not carry them (~90 MB resident); the first repeat-locations query (or weekly
digest with enough points) pays the import, about a second.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import Window
from gridplus.evaluation.domain.trends import RisingRule, Trend, judge
from gridplus.kit.roles import Principal, Role

EARTH_RADIUS_M = 6_371_008.8
OPEN_STATUSES = frozenset({"SUBMITTED", "ASSIGNED", "VERIFIED", "RESOLVED", "REOPENED"})
UNCATEGORISED = ""
_READ_ALL = frozenset({Role.ADMIN, Role.INSPECTOR, Role.SERVICE})
_GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
_DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD})


@dataclass(frozen=True)
class PetitionPoint:
    petition_id: str
    latitude: float
    longitude: float
    category: str
    grid_path: tuple[str, ...]  # level 1 first; empty until dispatch routed it
    submitted_at: datetime
    status: str  # latest known; "" before any change
    department_code: str = ""

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES or not self.status


def visible(principal: Principal, point: PetitionPoint) -> bool:
    if principal.role in _READ_ALL:
        return True
    if principal.role in _GRID_ROLES:
        return bool(set(point.grid_path) & set(principal.grid_codes))
    if principal.role in _DEPARTMENT_ROLES:
        return principal.department is not None and principal.department == point.department_code
    return False


# -- hot spots and trends ---------------------------------------------------------------------


def periods_ending(kind: PeriodKind, anchor: date, count: int) -> list[Window]:
    """`count` consecutive periods of `kind`, oldest first, the last one holding `anchor`."""
    windows = [Window(*period_range(kind, anchor))]
    while len(windows) < count:
        windows.insert(0, Window(*period_range(kind, windows[0].start - timedelta(days=1))))
    return windows


@dataclass(frozen=True)
class HotSpot:
    grid_code: str
    category: str
    trend: Trend


def hot_spots(
    points: Iterable[PetitionPoint],
    windows: Sequence[Window],
    rule: RisingRule,
    *,
    grid_level: int,
    within: str = "",
) -> list[HotSpot]:
    """Every (grid of `grid_level`, category) with a petition in the last window, its counts
    over `windows` judged by `rule`; rising first, then by current count, grid and category.
    `within`: only grids inside that grid's subtree. Petitions not routed yet have no grid
    and are left out."""
    if len(windows) != rule.baseline + 1:
        raise ValueError("one window per baseline period plus the current one")
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(windows))
    for point in points:
        if len(point.grid_path) < grid_level or (within and within not in point.grid_path):
            continue
        index = _window_index(windows, point.submitted_at)
        if index is not None:
            counts[(point.grid_path[grid_level - 1], point.category)][index] += 1
    spots = [
        HotSpot(grid, category, judge(series, rule))
        for (grid, category), series in counts.items()
        if series[-1]
    ]
    spots.sort(key=lambda s: (not s.trend.rising, -s.trend.current, s.grid_code, s.category))
    return spots


def _window_index(windows: Sequence[Window], at: datetime) -> int | None:
    for index, window in enumerate(windows):
        if window.holds(at):
            return index
    return None


# -- repeat locations -------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatLocation:
    petition_ids: tuple[str, ...]
    latitude: float  # centre: mean of the points
    longitude: float
    radius_m: float  # farthest point from the centre
    categories: tuple[tuple[str, int], ...]  # most frequent first
    grid_codes: tuple[str, ...]  # level-3 (else deepest known) grids of the points
    open_count: int
    first_at: datetime
    last_at: datetime

    @property
    def size(self) -> int:
        return len(self.petition_ids)


def repeat_candidates(
    points: Iterable[PetitionPoint], now: datetime, recent_days: int
) -> list[PetitionPoint]:
    """Open petitions, and closed ones submitted within `recent_days` of `now`."""
    since = now - timedelta(days=recent_days)
    return [p for p in points if p.open or p.submitted_at >= since]


def repeat_locations(
    points: Sequence[PetitionPoint], *, radius_m: float, min_points: int
) -> list[RepeatLocation]:
    """Clusters of `points` (see the module docstring), largest first."""
    if radius_m <= 0 or min_points < 2:
        raise ValueError("radius_m must be positive and min_points at least 2")
    if len(points) < min_points:
        return []
    import numpy as np
    from sklearn.cluster import DBSCAN

    radians = np.radians([[p.latitude, p.longitude] for p in points])
    labels = DBSCAN(
        eps=radius_m / EARTH_RADIUS_M,
        min_samples=min_points,
        metric="haversine",
        algorithm="ball_tree",
    ).fit_predict(radians)
    members: dict[int, list[PetitionPoint]] = defaultdict(list)
    for label, point in zip(labels, points, strict=True):
        if label >= 0:
            members[int(label)].append(point)
    found = [_cluster(group) for group in members.values()]
    found.sort(key=lambda c: (-c.size, c.petition_ids))
    return found


def _cluster(points: list[PetitionPoint]) -> RepeatLocation:
    latitude = sum(p.latitude for p in points) / len(points)
    longitude = sum(p.longitude for p in points) / len(points)
    categories = Counter(p.category for p in points)
    return RepeatLocation(
        petition_ids=tuple(sorted(p.petition_id for p in points)),
        latitude=latitude,
        longitude=longitude,
        radius_m=max(distance_m(latitude, longitude, p.latitude, p.longitude) for p in points),
        categories=tuple(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        grid_codes=tuple(sorted({p.grid_path[-1] for p in points if p.grid_path})),
        open_count=sum(1 for p in points if p.open),
        first_at=min(p.submitted_at for p in points),
        last_at=max(p.submitted_at for p in points),
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    import numpy as np

    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlambda = phi2 - phi1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return float(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(min(1.0, float(a)))))
