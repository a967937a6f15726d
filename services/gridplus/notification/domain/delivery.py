"""Delivery guarantees as pure rules: when to retry, when to give up, when an endpoint rests,
and how fast a channel may send. Time and randomness are passed in, so tests need no sleeping."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from gridplus.notification.domain.notices import Channel


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery as its status is shown (ListDeliveries): never its address."""

    id: uuid.UUID
    event_id: str  # the event, or `bulletin:<id>`, that caused it
    event_type: str
    recipient_id: str  # a person, or a webhook subscription's id
    channel: Channel
    status: DeliveryStatus
    attempts: int
    last_error: str
    petition_id: str
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


class SendFailed(Exception):
    """An attempt failed. `permanent`: retrying cannot help (e.g. HTTP 400, SMTP 550)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:500]
        self.permanent = permanent


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits base·2^(n-1), capped, then jittered."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    max_seconds: float = 600.0
    jitter: float = 0.5  # fraction of the delay that is random: 0 = none, 1 = "full jitter"

    def delay(self, attempts: int, random: float) -> timedelta:
        """Wait after `attempts` failed attempts; `random` is uniform in [0, 1)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        seconds = ceiling * (1 - self.jitter) + ceiling * self.jitter * random
        return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Retry:
    at: datetime
    reason: str


@dataclass(frozen=True)
class GiveUp:
    reason: str


def after_failure(
    failure: SendFailed, *, attempts: int, policy: RetryPolicy, now: datetime, random: float
) -> Retry | GiveUp:
    """What becomes of a delivery whose `attempts`-th attempt just failed."""
    if failure.permanent:
        return GiveUp(f"refused: {failure.reason}")
    if attempts >= policy.max_attempts:
        return GiveUp(f"gave up after {attempts} attempts: {failure.reason}")
    return Retry(now + policy.delay(attempts, random), failure.reason)


# While an endpoint's trial attempt is out, others to it wait this long before asking again.
TRIAL_WAIT = timedelta(seconds=5)


@dataclass
class _Circuit:
    failures: int = 0
    open_until: datetime | None = None
    trial: bool = False  # half-open: one attempt is out to probe the endpoint


@dataclass
class CircuitBreaker:
    """Per endpoint: after `threshold` consecutive failures the circuit opens for `rest`, then
    lets one trial through (half-open); its success closes the circuit, its failure reopens it.

    Deliveries to an open endpoint are postponed, not attempted and not counted as attempts,
    so a receiver that is down does not burn its retries or hold up anyone else's deliveries.
    """

    threshold: int = 5
    rest: timedelta = timedelta(seconds=30)
    _circuits: dict[str, _Circuit] = field(default_factory=dict)

    def blocked_until(self, endpoint: str, now: datetime) -> datetime | None:
        """None when an attempt may go out now; else when the endpoint may be tried again."""
        circuit = self._circuits.get(endpoint)
        if circuit is None or circuit.open_until is None:
            return None
        if now < circuit.open_until:
            return circuit.open_until
        if circuit.trial:
            return now + min(self.rest, TRIAL_WAIT)  # the trial is out; ask again soon
        circuit.trial = True
        return None

    def succeeded(self, endpoint: str) -> None:
        self._circuits.pop(endpoint, None)

    def failed(self, endpoint: str, now: datetime) -> bool:
        """Record a failure; True when this failure opened (or reopened) the circuit."""
        circuit = self._circuits.setdefault(endpoint, _Circuit())
        circuit.failures += 1
        if circuit.trial or (circuit.open_until is None and circuit.failures >= self.threshold):
            circuit.open_until = now + self.rest
            circuit.trial = False
            return True
        return False

    def is_open(self, endpoint: str, now: datetime) -> bool:
        return self.open_until(endpoint, now) is not None

    def open_until(self, endpoint: str, now: datetime) -> datetime | None:
        """When an open circuit's rest ends; None when it is closed or has rested (unlike
        blocked_until, this takes no trial)."""
        circuit = self._circuits.get(endpoint)
        if circuit is None or circuit.open_until is None or now >= circuit.open_until:
            return None
        return circuit.open_until


@dataclass
class TokenBucket:
    """At most `rate` sends per second on average, bursts up to `burst`."""

    rate: float
    burst: float
    _tokens: float = -1.0
    _last: datetime | None = None

    def take(self, now: datetime) -> timedelta | None:
        """None when a send may go now (a token is taken); else how long until one is free."""
        if self._tokens < 0:
            self._tokens = self.burst
        if self._last is not None:
            elapsed = max(0.0, (now - self._last).total_seconds())
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return timedelta(seconds=(1 - self._tokens) / self.rate)
