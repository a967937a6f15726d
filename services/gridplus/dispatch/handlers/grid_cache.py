"""Grid-registry's answers kept per grid-set version, so routing a petition asks it nothing while
the version it holds is confirmed: the point is located in the level-3 outlines of that version
(ListGridBoundaries, read once per version), a grid's members and organisation chain are read
once per version, and responsibility answers are dropped with the version.

Staleness bound: an answer comes from a version grid-registry confirmed at most
`confirm_seconds` ago (a located answer, LocateGrid, names its version), and never from a
version older than one a grid event announced. Past the bound, the next petition is located by
LocateGrid as before (an outage raises and the consumer retries, as it did without the cache);
that answer confirms the version again, or a different one drops everything held. The replica
that consumes GridSetImported or MembershipChanged acts at once; the other replicas (one
consumer group reads each event once) within the bound.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from gridplus.dispatch.domain.categories import Category
from gridplus.dispatch.domain.outlines import GridOutlines
from gridplus.dispatch.domain.places import GridPlace, Member
from gridplus.dispatch.ports import ChainLevel, Department, GridDirectory

log = logging.getLogger(__name__)

DEFAULT_CONFIRM_SECONDS = 5.0


@runtime_checkable
class OutlineSource(Protocol):
    """What the cache needs of the gRPC directory beyond the port (clients.GrpcGridDirectory)."""

    def outlines(self) -> GridOutlines | None: ...

    def forget_grid_set(self) -> None: ...


class CachedGridDirectory(GridDirectory):
    """A GridDirectory answering locate, members and chain from one confirmed grid-set version;
    everything else is the source's (which caches the taxonomy and departments itself)."""

    def __init__(
        self,
        source: GridDirectory,
        *,
        confirm_seconds: float = DEFAULT_CONFIRM_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._outline_source = source if isinstance(source, OutlineSource) else None
        self._confirm_seconds = confirm_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._loading = threading.Lock()  # one outline load at a time; others ask LocateGrid
        self._version: int | None = None
        self._confirmed_at = -math.inf
        self._announced = 0  # the newest version a GridSetImported named
        self._outlines: GridOutlines | None = None
        self._outlines_asked = -math.inf  # when the outlines were last asked for
        self._members: dict[str, tuple[Member, ...]] = {}
        self._chains: dict[str, tuple[ChainLevel, ...]] = {}

    # -- the version held ------------------------------------------------------------------

    def _current(self) -> int | None:
        """The version held while it is confirmed within the bound and not superseded."""
        with self._lock:
            version = self._version
            if version is None or version < self._announced:
                return None
            if self._monotonic() - self._confirmed_at >= self._confirm_seconds:
                return None
            return version

    def _confirm(self, version: int) -> None:
        """grid-registry answered from `version`: hold it (dropping another one's answers)."""
        with self._lock:
            changed = version != self._version
            if changed:
                self._version = version
                self._outlines = None
                self._outlines_asked = -math.inf  # a new version's outlines are asked at once
                self._members.clear()
                self._chains.clear()
            self._confirmed_at = self._monotonic()
        if changed:
            log.info("grid-set version changed", extra={"grid_set_version": version})
            if self._outline_source is not None:
                self._outline_source.forget_grid_set()
        self._load_outlines()

    def _load_outlines(self) -> None:
        """The outlines of the version held, when missing, asked at most once per bound (until
        they come, LocateGrid answers; outlines of another version are not used)."""
        source = self._outline_source
        if source is None or self._outlines is not None:
            return
        if not self._loading.acquire(blocking=False):
            return
        try:
            now = self._monotonic()
            if now - self._outlines_asked < self._confirm_seconds:
                return
            self._outlines_asked = now
            try:
                outlines = source.outlines()
            except Exception as exc:  # any failure: LocateGrid answers instead
                log.warning("grid outlines not loaded", extra={"error": repr(exc)})
                return
            with self._lock:
                if outlines is not None and outlines.version == self._version:
                    self._outlines = outlines
        finally:
            self._loading.release()

    # -- grid events (messaging/consumers.py) -------------------------------------------------

    def grid_set_imported(self, version: int) -> None:
        with self._lock:
            self._announced = max(self._announced, version)

    def membership_changed(self, grid_code: str) -> None:
        with self._lock:
            self._members.pop(grid_code, None)
            self._chains.clear()  # chains name the chiefs of every level

    # -- answered from the version held ------------------------------------------------------

    def locate(self, lat: float, lon: float) -> GridPlace | None:
        version = self._current()
        outlines = self._outlines
        held = version is not None and outlines is not None and outlines.version == version
        # A point off the globe is the registry's to refuse (INVALID_ARGUMENT), as before.
        if held and outlines is not None and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
            return outlines.locate(lat, lon)
        found = self._source.locate(lat, lon)
        if found is not None:
            self._confirm(found.grid_set_version)
        return found

    def members(self, grid_code: str) -> list[Member]:
        version = self._current()
        if version is None:
            return self._source.members(grid_code)
        with self._lock:
            held = self._members.get(grid_code)
        if held is not None:
            return list(held)
        loaded = self._source.members(grid_code)
        with self._lock:
            if self._version == version:
                self._members[grid_code] = tuple(loaded)
        return loaded

    def chain(self, grid_code: str) -> list[ChainLevel]:
        version = self._current()
        if version is None:
            return self._source.chain(grid_code)
        with self._lock:
            held = self._chains.get(grid_code)
        if held is not None:
            return list(held)
        loaded = self._source.chain(grid_code)
        with self._lock:
            if self._version == version:
                self._chains[grid_code] = tuple(loaded)
        return loaded

    # -- the source's own ---------------------------------------------------------------------

    def category(self, code: str) -> Category | None:
        return self._source.category(code)

    def top_level_named(self, name_zh: str) -> Category | None:
        return self._source.top_level_named(name_zh)

    def department(self, category_code: str, grid_code: str) -> Department | None:
        return self._source.department(category_code, grid_code)

    def department_head(self, department_code: str) -> str:
        return self._source.department_head(department_code)

    def department_codes(self) -> frozenset[str] | None:
        return self._source.department_codes()

    def grid(self, code: str) -> GridPlace | None:
        return self._source.grid(code)

    def distance_to_grid(self, grid_code: str, lat: float, lon: float) -> float | None:
        return self._source.distance_to_grid(grid_code, lat, lon)
