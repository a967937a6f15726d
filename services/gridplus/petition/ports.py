"""What petition asks of other services, as typed ports (their gRPC adapters are in clients.py):
grid-registry's category taxonomy (Open311 lists it as `services`) and map (grid outlines and
locating a point, for the resident page), and evaluation's follow-up (the resident API rates and
reads it)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gridplus.api.evaluation.v1 import evaluation_pb2 as pb


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    parent_code: str


class CategorySource(ABC):
    """The taxonomy grid-registry owns. When it cannot be had at all, TransientError (503),
    never an empty list."""

    @abstractmethod
    def categories(self) -> list[Category]:
        """The whole taxonomy; TransientError when it cannot be had."""

    def get(self, code: str) -> Category | None:
        return next((c for c in self.categories() if c.code == code), None)


class StaticCategories(CategorySource):
    """A fixed list (tests, demos)."""

    def __init__(self, categories: list[Category]) -> None:
        self._categories = list(categories)

    def categories(self) -> list[Category]:
        return list(self._categories)


class FollowUps(Protocol):
    """Evaluation's follow-up (跟踪回访) of a resolved petition, asked with this service's token
    on behalf of the resident it has authenticated. Refusals are the kit's domain errors."""

    def rate(
        self, *, petition_id: str, resident_id: str, rating: int, comment: str, request_id: str
    ) -> pb.FollowUpAnswer: ...

    def get(self, *, petition_id: str) -> pb.GetFollowUpResponse: ...


@dataclass(frozen=True)
class GridOutline:
    """One grid's outline for a map: `geojson` is a GeoJSON geometry as JSON text."""

    code: str
    name: str
    level: int
    geojson: str


@dataclass(frozen=True)
class GridOutlines:
    version: int  # of the grid set: outlines are good until it changes
    outlines: list[GridOutline]


@dataclass(frozen=True)
class PlaceFound:
    """The smallest grid containing a point, with the names of its grids from level 1 down."""

    code: str
    names: list[str]


class GridMap(ABC):
    """grid-registry's grids as a map: TransientError while it cannot be reached."""

    @abstractmethod
    def outlines(self, *, level: int, simplify_m: float) -> GridOutlines:
        """Every grid of one level, simplified to within about `simplify_m` metres."""

    @abstractmethod
    def locate(self, *, lat: float, lon: float) -> PlaceFound | None:
        """The grid containing the point; None when it is outside the city."""
