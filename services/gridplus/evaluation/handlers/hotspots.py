"""Read-side use cases: hot spots (counts per grid and category with their trend and the rising
rule) and repeat locations, over the petition points kept from events, in the reader's scope
(domain/hotspots.py `visible`). The export files are rendered in api/hotspot_convert.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from gridplus.evaluation.domain import hotspots as domain
from gridplus.evaluation.domain.periods import PeriodKind
from gridplus.evaluation.domain.scorecard import Window
from gridplus.evaluation.domain.trends import RisingRule
from gridplus.evaluation.storage import petition_points
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.roles import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_RULE = RisingRule()


@dataclass(frozen=True)
class HotSpotReport:
    spots: list[domain.HotSpot]
    windows: list[Window]  # oldest first; the last is the period asked about
    rule: RisingRule

    @property
    def period(self) -> Window:
        return self.windows[-1]

    @property
    def rising(self) -> list[domain.HotSpot]:
        found = [s for s in self.spots if s.trend.rising]
        return sorted(found, key=lambda s: (s.trend.p_value, s.grid_code, s.category))


@dataclass(frozen=True)
class RepeatSettings:
    radius_m: float = 50.0
    min_points: int = 3
    recent_days: int = 30
    limit: int = 100


def rising_rule(baseline: int, alpha: float) -> RisingRule:
    """The rule a request asks for; 0 takes the default. Names the field that is wrong."""
    baseline = baseline or DEFAULT_RULE.baseline
    alpha = alpha or DEFAULT_RULE.alpha
    if not 1 <= baseline <= 52:
        raise InvalidArgument.single("baseline_periods", "choose 1 to 52 periods")
    if not 0 < alpha <= 0.5:
        raise InvalidArgument.single("alpha", "choose a level above 0 and at most 0.5")
    return RisingRule(baseline=baseline, alpha=alpha)


def repeat_settings(
    radius_m: float, min_points: int, recent_days: int, limit: int
) -> RepeatSettings:
    default = RepeatSettings()
    chosen = RepeatSettings(
        radius_m=radius_m or default.radius_m,
        min_points=min_points or default.min_points,
        recent_days=recent_days or default.recent_days,
        limit=limit or default.limit,
    )
    if not 5 <= chosen.radius_m <= 500:
        raise InvalidArgument.single("radius_m", "choose 5 to 500 metres")
    if not 2 <= chosen.min_points <= 100:
        raise InvalidArgument.single("min_points", "choose 2 to 100 petitions")
    if not 1 <= chosen.recent_days <= 365:
        raise InvalidArgument.single("recent_days", "choose 1 to 365 days")
    if not 1 <= chosen.limit <= 1000:
        raise InvalidArgument.single("limit", "choose 1 to 1000 locations")
    return chosen


def _scoped(
    points: list[domain.PetitionPoint], reader: Principal | None, grid_code: str
) -> list[domain.PetitionPoint]:
    return [
        p
        for p in points
        if (reader is None or domain.visible(reader, p))
        and (not grid_code or grid_code in p.grid_path)
    ]


def hot_spots(
    session: Session,
    reader: Principal | None,
    kind: PeriodKind,
    anchor: date,
    *,
    grid_level: int,
    grid_code: str = "",
    rule: RisingRule = DEFAULT_RULE,
) -> HotSpotReport:
    """`reader` None: an operator's export, every petition."""
    if grid_level not in (1, 2, 3):
        raise InvalidArgument.single("grid_level", "choose 1, 2 or 3")
    windows = domain.periods_ending(kind, anchor, rule.baseline + 1)
    points = petition_points.load(session, since=windows[0].start_at, until=windows[-1].end_at)
    spots = domain.hot_spots(
        _scoped(points, reader, grid_code), windows, rule, grid_level=grid_level
    )
    return HotSpotReport(spots, windows, rule)


def repeat_locations(
    session: Session,
    reader: Principal | None,
    now: datetime,
    settings: RepeatSettings,
    *,
    grid_code: str = "",
) -> tuple[list[domain.RepeatLocation], int]:
    """The clusters (at most `settings.limit`, largest first) and how many petitions were
    considered; `reader` None: every petition."""
    since = now - timedelta(days=settings.recent_days)
    # A day past now: a petition stamped by a producer whose clock runs slightly ahead counts.
    loaded = petition_points.load(
        session, since=since, until=now + timedelta(days=1), open_too=True
    )
    points = domain.repeat_candidates(_scoped(loaded, reader, grid_code), now, settings.recent_days)
    found = domain.repeat_locations(
        points, radius_m=settings.radius_m, min_points=settings.min_points
    )
    return found[: settings.limit], len(points)
