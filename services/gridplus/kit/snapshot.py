"""A value read from the database and held in memory, swapped whole when a newer version is stored.

Readers never wait on a reload: swapping is one reference assignment, so a reader sees the old or
the new value whole. A reader that comes before the first load waits for it rather than fail."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import TransientError

T = TypeVar("T")
log = logging.getLogger(__name__)


class Snapshot(Generic[T]):
    """`version(session)` names what is stored (None: nothing yet); `load(session)` reads it whole.

    `missing` is the message callers get while nothing is stored; `on_swap` runs after each swap
    (metrics, a log line)."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        name: str,
        version: Callable[[Session], Hashable | None],
        load: Callable[[Session], T],
        missing: str,
        on_swap: Callable[[T], None] = lambda _value: None,
        poll_seconds: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._name = name
        self._version = version
        self._load = load
        self._missing = missing
        self._on_swap = on_swap
        self._poll_seconds = poll_seconds
        self._held: tuple[Hashable, T] | None = None
        self._loading = threading.Lock()

    def get(self) -> T:
        """The value held; UNAVAILABLE while nothing is stored or the database cannot be read."""
        held = self._held
        if held is not None:
            return held[1]
        try:
            self.refresh()
        except SQLAlchemyError as exc:
            raise TransientError(f"the {self._name} cannot be read from the database now") from exc
        held = self._held
        if held is None:
            raise TransientError(self._missing)
        return held[1]

    def refresh(self) -> bool:
        """Load the stored version if it is not the one held; True when the value changed."""
        with self._loading:
            with transaction(self._sessions) as session:
                stored = self._version(session)
                if stored is None or (self._held is not None and self._held[0] == stored):
                    return False
                value = self._load(session)
            self._held = (stored, value)
        self._on_swap(value)
        return True

    def run(self, stop: threading.Event) -> None:
        """Refresh loop for ServiceApp.add_loop: returns once `stop` is set."""
        while True:
            try:
                self.refresh()
            except SQLAlchemyError as exc:
                # The database may be briefly away; the held value keeps serving meanwhile.
                log.warning(
                    "snapshot refresh failed, will retry",
                    extra={"snapshot": self._name, "error": repr(exc)},
                )
            if stop.wait(self._poll_seconds):
                return
