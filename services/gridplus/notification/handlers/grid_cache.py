"""Grid-registry's answers kept across events, per grid-set version, so telling people about a
petition asks grid-registry nothing while the version it holds is confirmed: a grid's chain
(GetChain) is read once per version. A version's members never change in grid-registry (an
import or a membership change writes a new version: grid_registry/handlers/directory_snapshot.py),
so a chain read from version V is what grid-registry answers for as long as V is current.

Staleness bound: a chain comes from a version grid-registry confirmed at most `confirm_seconds`
ago (every GetChain answer names its version) and never from a version older than one a grid
event announced. Past the bound, the next chain is asked of grid-registry as before (an outage
raises and the consumer retries the event, as it did without the cache: nobody goes untold);
that answer confirms the version again, or a newer one drops every chain held. A member added
to a grid is therefore told from the next event on the replica that consumed the change
(GridSetImported, MembershipChanged: messaging/consumers.py drops the chains in order, before
the next event is prepared) and within the bound on the others (one consumer group reads each
grid event once), plus grid-registry's own refresh of its replicas.

Not kept here: reporters (petition's answer, personal data that changes per petition) and grid
subtrees (bulletins) are asked every time; department heads keep the adapter's own minute
(clients.GrpcDirectory).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.ports import RecipientDirectory, Subtree

DEFAULT_CONFIRM_SECONDS = 5.0
# A city has a few thousand grids; more chains than this means codes nobody imported (dropped).
MAX_CHAINS = 50_000


@runtime_checkable
class VersionedChains(Protocol):
    """What the cache needs of the gRPC directory beyond the port (clients.GrpcDirectory)."""

    def versioned_chain(self, grid_code: str) -> tuple[list[Member], int]:
        """The chain and the grid-set version that answered (0: not known, nothing to keep)."""
        ...


class CachedDirectory(RecipientDirectory):
    """A RecipientDirectory answering chains from one confirmed grid-set version; everything
    else is the source's."""

    def __init__(
        self,
        source: RecipientDirectory,
        *,
        confirm_seconds: float = DEFAULT_CONFIRM_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._versioned = source if isinstance(source, VersionedChains) else None
        self._confirm_seconds = confirm_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._version = 0  # the version held (0: none)
        self._confirmed_at = -math.inf
        self._announced = 0  # the newest version a GridSetImported named
        self._dropped = 0  # counts drops: an answer asked before one is not kept after it
        self._chains: dict[str, tuple[Member, ...]] = {}

    def chain(self, grid_code: str) -> list[Member]:
        with self._lock:
            held = self._chains.get(grid_code) if self._confirmed() else None
            dropped = self._dropped
        if held is not None:
            return list(held)
        if self._versioned is None:
            return self._source.chain(grid_code)
        members, version = self._versioned.versioned_chain(grid_code)
        self._keep(grid_code, members, version, dropped)
        return members

    def _confirmed(self) -> bool:
        """The version held is confirmed within the bound and not superseded (lock held)."""
        if self._version == 0 or self._version < self._announced:
            return False
        return self._monotonic() - self._confirmed_at < self._confirm_seconds

    def _keep(self, grid_code: str, members: list[Member], version: int, dropped: int) -> None:
        """grid-registry answered from `version`: confirm it and keep the chain, dropping what
        another version's answers held; an older version's answer (a registry replica not yet
        refreshed) is used once and neither kept nor confirming."""
        with self._lock:
            if version <= 0 or version < max(self._version, self._announced):
                return
            if dropped != self._dropped:
                return  # a grid event came while this was asked: the answer may predate it
            if version != self._version or len(self._chains) >= MAX_CHAINS:
                self._chains.clear()
                self._version = version
            self._confirmed_at = self._monotonic()
            self._chains[grid_code] = tuple(members)

    # -- grid events (messaging/consumers.py) -------------------------------------------------

    def grid_set_imported(self, version: int) -> None:
        with self._lock:
            self._announced = max(self._announced, version)
            self._dropped += 1

    def membership_changed(self, grid_code: str) -> None:
        # Chains name the members of every level above too: drop them all (a change comes with
        # a new version anyway, whose first answer would drop them).
        with self._lock:
            self._chains.clear()
            self._dropped += 1

    # -- the source's own ---------------------------------------------------------------------

    def department_heads(self) -> dict[str, str]:
        return self._source.department_heads()

    def reporters(self, petition_id: str) -> list[tuple[Recipient, bool]]:
        return self._source.reporters(petition_id)

    def reporters_of(self, petition_ids: Sequence[str]) -> dict[str, list[tuple[Recipient, bool]]]:
        return self._source.reporters_of(petition_ids)

    def subtree(self, grid_code: str) -> Subtree | None:
        return self._source.subtree(grid_code)
