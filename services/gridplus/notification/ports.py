"""The port to the people: who is in a grid's organisation chain, who heads a department, who
reported a petition. handlers/recipients.py depends on this interface only; clients.GrpcDirectory
is the real adapter (grid-registry and petition over gRPC), tests may serve the proto contract
instead.

A dependency that is down raises (gRPC UNAVAILABLE, DEADLINE_EXCEEDED): the consumer retries
the event until it passes, before any database transaction is opened.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient


@dataclass(frozen=True)
class Subtree:
    """A grid, the codes from level 1 down to it, and the members of it and every grid below."""

    grid_code: str
    path: tuple[str, ...]
    members: tuple[Member, ...]


class RecipientDirectory(ABC):
    @abstractmethod
    def chain(self, grid_code: str) -> list[Member]:
        """Members of every level of the grid's chain (level 1 down to the grid); [] if unknown."""

    @abstractmethod
    def department_heads(self) -> dict[str, str]:
        """Department code -> head person id (departments without a head are left out)."""

    @abstractmethod
    def reporters(self, petition_id: str) -> list[tuple[Recipient, bool]]:
        """Reporters of the petition and its merged duplicates, each with `via_duplicate`."""

    def reporters_of(self, petition_ids: Sequence[str]) -> dict[str, list[tuple[Recipient, bool]]]:
        """`reporters` of each petition, asked at once where the adapter can (one call for a
        poll's events); a petition that does not exist gets []."""
        return {petition_id: self.reporters(petition_id) for petition_id in petition_ids}

    @abstractmethod
    def subtree(self, grid_code: str) -> Subtree | None:
        """The grid's subtree with its members; None when there is no such grid."""
