"""Possible duplicates: open petitions of the same category near the new one, recently."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.values import GeoPoint

EARTH_RADIUS_M = 6_371_008.8
# Still being handled: a new report of the same problem belongs with one of these.
OPEN_STATUSES = (Status.SUBMITTED, Status.ASSIGNED, Status.VERIFIED, Status.REOPENED)


@dataclass(frozen=True)
class DuplicateRule:
    radius_m: float = 50.0
    window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Box:
    south: float
    north: float
    west: float
    east: float


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle (haversine) distance in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(center: GeoPoint, radius_m: float) -> Box:
    """A box holding every point within `radius_m` (a cheap index-friendly pre-filter)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(math.cos(math.radians(center.lat)), 1e-6)
    dlon = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat)))
    return Box(center.lat - dlat, center.lat + dlat, center.lon - dlon, center.lon + dlon)
