"""Wakes WatchInbox streams (and the delivery worker) in this process when something is stored.

Streams also poll, so items stored by another replica still arrive, only a little later.
"""

from __future__ import annotations

import threading
import time


class Signal:
    """A counter that waiters can block on until it moves."""

    def __init__(self) -> None:
        self._version = 0
        self._changed = threading.Condition()

    @property
    def version(self) -> int:
        with self._changed:
            return self._version

    def notify(self) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float, stop: threading.Event | None = None) -> int:
        """Until the version differs from `seen`, `timeout` passes or `stop` is set (looked at
        every half second, so a long idle wait does not hold up a shutdown); returns the
        version."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._version == seen and not (stop is not None and stop.is_set()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 0.5) if stop is not None else left)
            return self._version
