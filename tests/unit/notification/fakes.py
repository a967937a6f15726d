"""An in-memory recipient directory: a real subclass of the port, for unit tests."""

from __future__ import annotations

from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.ports import RecipientDirectory, Subtree


class FakeDirectory(RecipientDirectory):
    def __init__(
        self,
        chains: dict[str, list[Member]] | None = None,
        heads: dict[str, str] | None = None,
        reporters: dict[str, list[tuple[Recipient, bool]]] | None = None,
    ) -> None:
        self.chains = chains or {}
        self.heads = heads or {}
        self.reporter_contacts = reporters or {}
        self.calls: list[str] = []

    def chain(self, grid_code: str) -> list[Member]:
        self.calls.append(f"chain {grid_code}")
        return list(self.chains.get(grid_code, []))

    def department_heads(self) -> dict[str, str]:
        self.calls.append("heads")
        return dict(self.heads)

    def reporters(self, petition_id: str) -> list[tuple[Recipient, bool]]:
        self.calls.append(f"reporters {petition_id}")
        return list(self.reporter_contacts.get(petition_id, []))

    def subtree(self, grid_code: str) -> Subtree | None:
        members = tuple(m for chain in self.chains.values() for m in chain)
        return Subtree(grid_code, (grid_code,), members) if grid_code in self.chains else None
