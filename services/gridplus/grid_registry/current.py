"""The grid set a running server answers from: held in memory, replaced when a newer version
appears in the database (an import run by another process), so queries never wait on it."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from gridplus.grid_registry import handlers, handlers_reference, metrics
from gridplus.grid_registry.domain.grids import MAX_LEVEL, MIN_LEVEL
from gridplus.grid_registry.handlers import GridSetSnapshot
from gridplus.grid_registry.handlers_reference import ReferenceSnapshot
from gridplus.grid_registry.storage import reference_repository, repository
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import TransientError

log = logging.getLogger(__name__)

NO_GRID_SET = (
    "no grid set has been imported yet; "
    "run `python -m gridplus.grid_registry load-demo` or `gridctl load-demo`"
)


class CurrentGridSet:
    """Holds the newest grid set; `run` polls max(version) and swaps in a new one when it appears.

    Swapping is one reference assignment, so a request sees either the old or the new set whole.
    """

    def __init__(self, sessions: SessionFactory, *, poll_seconds: float = 0.5) -> None:
        self._sessions = sessions
        self._poll_seconds = poll_seconds
        self._snapshot: GridSetSnapshot | None = None
        self._loading = threading.Lock()

    def get(self) -> GridSetSnapshot:
        """The current snapshot; UNAVAILABLE until a grid set has been imported."""
        snapshot = self._snapshot
        if snapshot is not None:
            return snapshot
        # A call that arrives before the refresh loop's first load waits for it rather than fail.
        try:
            self.refresh()
        except SQLAlchemyError as exc:
            raise TransientError("the grid set cannot be read from the database now") from exc
        if self._snapshot is None:
            raise TransientError(NO_GRID_SET)
        return self._snapshot

    def refresh(self) -> bool:
        """Load the newest version if it is not the one held; True when the snapshot changed."""
        with self._loading:
            held = self._snapshot.version if self._snapshot is not None else None
            with transaction(self._sessions) as session:
                version = repository.current_version(session)
                if version is None or version == held:
                    return False
                snapshot = handlers.load_version(session, version)
            self._snapshot = snapshot
        _observe(snapshot)
        log.info(
            "serving grid set",
            extra={"grid_set_version": snapshot.version, "grid_count": len(snapshot.grids)},
        )
        return True

    def run(self, stop: threading.Event) -> None:
        """Refresh loop for ServiceApp.add_loop: returns once `stop` is set."""
        while True:
            try:
                self.refresh()
            except SQLAlchemyError as exc:
                # The database may be briefly away; the held set keeps serving meanwhile.
                log.warning("grid set refresh failed, will retry", extra={"error": repr(exc)})
            if stop.wait(self._poll_seconds):
                return


def _observe(snapshot: GridSetSnapshot) -> None:
    metrics.GRID_SET_VERSION.set(snapshot.version)
    for level in range(MIN_LEVEL, MAX_LEVEL + 1):
        metrics.GRIDS.labels(str(level)).set(len(snapshot.grids.at_level(level)))


class CurrentReference:
    """Holds the reference data (taxonomy, departments, rules); `run` reloads it when its stored
    version changes (load-demo re-synced the seed), like CurrentGridSet does for grids."""

    def __init__(self, sessions: SessionFactory, *, poll_seconds: float = 0.5) -> None:
        self._sessions = sessions
        self._poll_seconds = poll_seconds
        self._snapshot: ReferenceSnapshot | None = None
        self._loading = threading.Lock()

    def get(self) -> ReferenceSnapshot:
        snapshot = self._snapshot
        if snapshot is not None:
            return snapshot
        try:
            self.refresh()
        except SQLAlchemyError as exc:
            raise TransientError("the reference data cannot be read from the database now") from exc
        if self._snapshot is None:
            raise TransientError("the reference data has not been seeded; run the migrations")
        return self._snapshot

    def refresh(self) -> bool:
        with self._loading:
            held = self._snapshot.version if self._snapshot is not None else None
            with transaction(self._sessions) as session:
                stored = reference_repository.reference_version(session)
                if stored is None or stored[0] == held:
                    return False
                snapshot = handlers_reference.load_reference(session)
            self._snapshot = snapshot
        return True

    def run(self, stop: threading.Event) -> None:
        while True:
            try:
                self.refresh()
            except SQLAlchemyError as exc:
                log.warning("reference data refresh failed, will retry", extra={"error": repr(exc)})
            if stop.wait(self._poll_seconds):
                return
