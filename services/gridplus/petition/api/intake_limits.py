"""Abuse limits on public intake: how many petitions one resident (token subject) may submit
and one Open311 api key may post in a minute. Beyond it: 429 with Retry-After, nothing stored,
and a WARNING naming only a hash of the caller (never the text, contact or token).

Per replica, in memory: each replica admits the service-wide limit divided by the replicas that
run (GRIDPLUS_PETITION_REPLICAS, as notification divides its rates), rounded up. A shared counter
in the database would be exact across replicas but adds a write and a contended row to every
submit, for a limit whose job is to stop floods, not to count to the last request; a load
balancer spreads one client's requests over the replicas, so the sum comes close to the limit.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from gridplus.kit.clock import Clock
from gridplus.kit.errors import GridPlusError

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)
_MAX_CALLERS = 50_000  # callers remembered before expired ones are swept out


@dataclass(frozen=True)
class IntakeLimits:
    """Service-wide limits per minute (0: none) and the replicas that share them."""

    per_resident: int = 10
    per_api_key: int = 60
    replicas: int = 1

    def per_replica(self, limit: int) -> int:
        return math.ceil(limit / self.replicas) if limit else 0


UNLIMITED = IntakeLimits(per_resident=0, per_api_key=0)


class TooManyRequests(GridPlusError):
    grpc_code = "RESOURCE_EXHAUSTED"
    http_status = 429
    title = "Too many requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """At most `limit` admissions per caller in any sliding `window` (a log of the instants
    admitted). Refused attempts are not logged, so a caller that waits Retry-After gets in."""

    def __init__(self, limit: int, clock: Clock, window: timedelta = WINDOW) -> None:
        self._limit = limit
        self._clock = clock
        self._window = window
        self._admitted: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, caller: str) -> int:
        """0 when `caller` is admitted now (and counted); else whole seconds until it would be."""
        if self._limit <= 0:
            return 0
        with self._lock:
            now = self._clock.now()
            admitted = self._admitted.setdefault(caller, deque())
            while admitted and admitted[0] <= now - self._window:
                admitted.popleft()
            if len(admitted) >= self._limit:
                wait = (admitted[0] + self._window - now).total_seconds()
                return max(1, math.ceil(wait))
            admitted.append(now)
            if len(self._admitted) > _MAX_CALLERS:
                self._sweep(now)
            return 0

    def _sweep(self, now: datetime) -> None:
        cutoff = now - self._window
        for caller in [c for c, times in self._admitted.items() if times[-1] <= cutoff]:
            del self._admitted[caller]


class IntakeGuard:
    """The two limits of a replica, checked before a submission is read."""

    def __init__(self, limits: IntakeLimits, clock: Clock) -> None:
        self._residents = RateLimiter(limits.per_replica(limits.per_resident), clock)
        self._api_keys = RateLimiter(limits.per_replica(limits.per_api_key), clock)
        self._limits = limits

    def resident(self, subject: str, *, channel: str) -> None:
        """Raises TooManyRequests when this resident submitted too much in the last minute."""
        self._check(self._residents, subject, "resident", channel, self._limits.per_resident)

    def api_key(self, key: str) -> None:
        """Raises TooManyRequests when this Open311 api key posted too much in the last minute."""
        self._check(self._api_keys, key, "api_key", "open311", self._limits.per_api_key)

    def _check(
        self, limiter: RateLimiter, caller: str, kind: str, channel: str, limit: int
    ) -> None:
        wait = limiter.wait_seconds(caller)
        if not wait:
            return
        log.warning(
            "intake refused: rate limit reached",
            extra={
                "limit_kind": kind,
                "channel": channel,
                "caller_hash": caller_hash(caller),
                "limit_per_minute": limit,
                "retry_after_seconds": wait,
            },
        )
        who = {
            ("resident", "http"): "this resident",
            ("resident", "open311"): "this account_id or device_id",
        }.get((kind, channel), "this api_key")
        raise TooManyRequests(
            f"more than {limit} petitions a minute from {who}; retry in {wait} s", wait
        )


def caller_hash(caller: str) -> str:
    """A stable, short pseudonym for logs: enough to see one caller repeat, not who it is."""
    return hashlib.sha256(caller.encode()).hexdigest()[:12]
