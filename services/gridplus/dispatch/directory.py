"""The port to the grid registry: where a point lies and who works in a grid.

Handlers depend on this interface only; `clients.GrpcGridDirectory` is the real adapter, and
tests use a fake subclass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from gridplus.dispatch.domain.routing import GridPlace, Member


class GridDirectory(ABC):
    @abstractmethod
    def locate(self, lat: float, lon: float) -> GridPlace | None:
        """The level-3 grid containing the point; None when it is out of jurisdiction.

        A dependency that is down raises (gRPC UNAVAILABLE, DEADLINE_EXCEEDED): the consumer
        retries the event until it passes.
        """

    @abstractmethod
    def members(self, grid_code: str) -> list[Member]:
        """The grid's grid workers and grid chiefs (other roles cannot take petitions)."""
