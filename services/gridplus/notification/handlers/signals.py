"""Wakes WatchInbox streams (and the delivery worker) in this process when something is stored.

Streams also poll, so items stored by another replica still arrive, only a little later.
"""

from __future__ import annotations

import threading


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

    def wait(self, seen: int, timeout: float) -> int:
        """Until the version differs from `seen` or `timeout` passes; returns the version."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen, timeout)
            return self._version
