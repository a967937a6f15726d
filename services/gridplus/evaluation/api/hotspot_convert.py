"""Hot spots and repeat locations: to their API messages, and to the CSV files of
`python -m gridplus.evaluation hotspots|repeats` (one row per hot spot or per repeat location)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.evaluation.api.convert import stamp
from gridplus.evaluation.domain.hotspots import HotSpot, RepeatLocation
from gridplus.evaluation.domain.trends import Direction
from gridplus.evaluation.handlers.hotspots import HotSpotReport

DIRECTIONS = {
    Direction.UP: pb.TREND_DIRECTION_UP,
    Direction.DOWN: pb.TREND_DIRECTION_DOWN,
    Direction.FLAT: pb.TREND_DIRECTION_FLAT,
}


def hot_spot(spot: HotSpot, out: pb.HotSpot) -> pb.HotSpot:
    trend = spot.trend
    out.grid_code = spot.grid_code
    out.category = spot.category
    out.count = trend.current
    out.previous_count = trend.previous
    out.baseline_mean = trend.baseline_mean
    out.counts.extend(trend.counts)
    out.p_value = trend.p_value
    out.rising = trend.rising
    out.direction = DIRECTIONS[trend.direction]
    return out


def hot_spots(
    report: HotSpotReport,
    spots: Sequence[HotSpot],
    out: pb.ListHotSpotsResponse | pb.ListRisingCategoriesResponse,
) -> None:
    for spot in spots:
        hot_spot(spot, out.hot_spots.add())
    out.rule = report.rule.describe()
    out.start_time.CopyFrom(stamp(report.period.start_at))
    out.end_time.CopyFrom(stamp(report.period.end_at))


def repeat_location(found: RepeatLocation, out: pb.RepeatLocation) -> pb.RepeatLocation:
    out.latitude = found.latitude
    out.longitude = found.longitude
    out.radius_m = found.radius_m
    out.size = found.size
    out.petition_ids.extend(found.petition_ids)
    for category, count in found.categories:
        out.categories.add(category=category, count=count)
    out.grid_codes.extend(found.grid_codes)
    out.open_count = found.open_count
    out.first_time.CopyFrom(stamp(found.first_at))
    out.last_time.CopyFrom(stamp(found.last_at))
    return out


# -- CSV export files --------------------------------------------------------------------------

HOT_SPOT_COLUMNS = (
    "start",
    "end",
    "grid_code",
    "category",
    "count",
    "previous_count",
    "baseline_mean",
    "ratio",
    "direction",
    "p_value",
    "rising",
    "counts",
)
REPEAT_COLUMNS = (
    "rank",
    "size",
    "open",
    "latitude",
    "longitude",
    "radius_m",
    "categories",
    "grid_codes",
    "first_time",
    "last_time",
    "petition_ids",
)


def _writer(buffer: io.StringIO, columns: Sequence[str]) -> csv.DictWriter[str]:
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    return writer


def hot_spots_csv(report: HotSpotReport, spots: Sequence[HotSpot]) -> str:
    buffer = io.StringIO()
    writer = _writer(buffer, HOT_SPOT_COLUMNS)
    for spot in spots:
        trend = spot.trend
        writer.writerow(
            {
                "start": report.period.start.isoformat(),
                "end": report.period.end.isoformat(),
                "grid_code": spot.grid_code,
                "category": spot.category,
                "count": trend.current,
                "previous_count": trend.previous,
                "baseline_mean": round(trend.baseline_mean, 3),
                "ratio": "" if math.isinf(trend.ratio) else round(trend.ratio, 3),
                "direction": trend.direction.value,
                "p_value": f"{trend.p_value:.3g}",
                "rising": "yes" if trend.rising else "no",
                "counts": " ".join(str(c) for c in trend.counts),
            }
        )
    return buffer.getvalue()


def repeats_csv(found: Sequence[RepeatLocation]) -> str:
    buffer = io.StringIO()
    writer = _writer(buffer, REPEAT_COLUMNS)
    for rank, location in enumerate(found, start=1):
        writer.writerow(
            {
                "rank": rank,
                "size": location.size,
                "open": location.open_count,
                "latitude": round(location.latitude, 6),
                "longitude": round(location.longitude, 6),
                "radius_m": round(location.radius_m, 1),
                "categories": "; ".join(f"{c or '-'}: {n}" for c, n in location.categories),
                "grid_codes": " ".join(location.grid_codes),
                "first_time": location.first_at.isoformat(),
                "last_time": location.last_at.isoformat(),
                "petition_ids": " ".join(location.petition_ids),
            }
        )
    return buffer.getvalue()
