"""Answers of other services kept for a while: reference data changes rarely and is asked often."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
log = logging.getLogger(__name__)


class TtlCache(Generic[V]):
    """Values by key, each fresh for `seconds`.

    With `stale_on`, a load that fails with one of those errors answers the last value held (an
    outage of the source should not stop what worked a minute ago); without a held value the
    error propagates. Loads run outside the lock, so one slow load blocks no other key.
    """

    def __init__(
        self,
        seconds: float,
        *,
        stale_on: tuple[type[BaseException], ...] = (),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._stale_on = stale_on
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        now = self._monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        try:
            value = load()
        except self._stale_on as exc:
            if found is None:
                raise
            log.warning("serving a stale cached value", extra={"key": str(key), "error": repr(exc)})
            return found[1]
        with self._lock:
            self._entries[key] = (now + self._seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
