"""Wait on an observable condition (a row, a committed offset, a status) instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T | None],
    what: str,
    *,
    timeout: float = 20.0,
    interval: float = 0.05,
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `check` until it returns something truthy and return that; fail naming `what`.

    Errors of the types in `ignore` count as "not yet" (a service still starting); the last one
    is shown when time runs out."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            found = check()
        except ignore as exc:
            last_error, found = exc, None
        if found:
            return found
        if time.monotonic() >= deadline:
            cause = f" (last error: {last_error!r})" if last_error is not None else ""
            raise AssertionError(f"not within {timeout} s: {what}{cause}")
        time.sleep(interval)


def settled(
    read: Callable[[], T], *, until: Callable[[T], bool], what: str, timeout: float = 20.0
) -> T:
    """`read()` once `until` holds for its value (a consumer's committed offset reached the end)."""

    def check() -> T | None:
        value = read()
        return value if until(value) else None

    return eventually(check, what, timeout=timeout)
