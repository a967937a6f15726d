"""Small value objects a petition is made of."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridplus.kit.auth import Role


class Source(StrEnum):
    """The channel a petition came in through."""

    RESIDENT = "RESIDENT"
    GRID_WORKER = "GRID_WORKER"
    OPEN311 = "OPEN311"
    HOTLINE = "HOTLINE"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a person id with their role, or a service name with Role.SERVICE."""

    id: str
    role: Role


@dataclass(frozen=True)
class GeoPoint:
    """A WGS84 point in decimal degrees."""

    lat: float
    lon: float


@dataclass(frozen=True)
class GridRef:
    """The level-3 grid a petition was routed to, with its path from level 1 down to it."""

    code: str
    level: int
    path: tuple[str, ...]
    grid_set_version: int
