"""The delivery worker: takes due deliveries from the database and sends them, outside any
database transaction, through the channel adapters.

The schedule lives in the deliveries table (status PENDING, next_attempt_at): a restarted worker
carries on where the last one stopped, and several replicas share the work (rows are leased while
being sent). Sends run on a small thread pool, each endpoint behind its own circuit breaker and
each channel under its own rate limit, so one receiver that is down or slow holds up nobody else.
Addresses are stored sealed (kit.pii); the worker opens each one only to send it, and keeps it
in memory for that attempt alone. Logs name delivery ids only, never an address.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.pii import KeyRing, UnreadableCiphertext
from gridplus.notification import metrics
from gridplus.notification.channels.base import ChannelAdapter, Outgoing
from gridplus.notification.domain.delivery import (
    CircuitBreaker,
    GiveUp,
    RetryPolicy,
    SendFailed,
    TokenBucket,
    after_failure,
)
from gridplus.notification.domain.notices import Channel
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.jobs.sent_batch import SentRecorder
from gridplus.notification.storage import deliveries
from gridplus.notification.storage.deliveries import Claimed

log = logging.getLogger(__name__)


class Leadership(Protocol):
    """ "Only one replica does this" (the kit's Lease is one)."""

    @property
    def held(self) -> bool: ...

    def keep(self) -> bool: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class WorkerSettings:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_threshold: int = 5
    breaker_rest: timedelta = timedelta(seconds=30)
    rate_per_second: Mapping[Channel, float] = field(default_factory=dict)
    concurrency: int = 8
    # Deliveries held at most (sending, or claimed and waiting for a free thread); the worker
    # claims again once half of them are done, so a claim's transaction is shared by at least
    # half this many (never fewer than `concurrency`).
    claim_batch: int = 32
    poll_seconds: float = 1.0
    # With nothing due, the worker sleeps until the earliest pending delivery falls due, at most
    # this many poll intervals: it is woken at once by work stored in this process, so the bound
    # only delays a delivery another replica stored while that replica's worker is busy or gone.
    idle_polls: float = 10.0
    backlog_every: timedelta = timedelta(seconds=15)
    # Longer than any one send can take (adapters time out well before) after a wait for a free
    # thread, so a lease runs out only when its worker died.
    lease: timedelta = timedelta(minutes=2)


class DeliveryWorker:
    def __init__(
        self,
        sessions: SessionFactory,
        adapters: Mapping[Channel, ChannelAdapter],
        clock: Clock,
        settings: WorkerSettings | None = None,
        *,
        keys: KeyRing,
        wake: Signal | None = None,
        jitter: Callable[[], float] = random.random,
        backlog_lease: Leadership | None = None,
        backlog: metrics.Backlog = metrics.BACKLOG,
    ) -> None:
        self._sessions = sessions
        self._adapters = dict(adapters)
        self._clock = clock
        self._keys = keys
        self._settings = settings or WorkerSettings()
        self._wake = wake or Signal()
        self._jitter = jitter
        # The backlog counts the whole database: only the lease's holder exports it (None: the
        # only replica).
        self._backlog_lease = backlog_lease
        self._backlog = backlog
        if backlog_lease is not None:
            backlog.gate(lambda: backlog_lease.held)
        self._breaker = CircuitBreaker(
            self._settings.breaker_threshold, self._settings.breaker_rest
        )
        self._buckets = {
            channel: TokenBucket(rate, burst=max(1.0, rate))
            for channel, rate in self._settings.rate_per_second.items()
        }
        self._lock = threading.Lock()  # breaker and buckets are shared with the pool's threads
        self._pool = ThreadPoolExecutor(
            max_workers=self._settings.concurrency, thread_name_prefix="delivery"
        )
        self._in_flight = 0
        self._capacity = max(self._settings.concurrency, self._settings.claim_batch)
        self._recorder = SentRecorder(sessions, clock, self._recorded)
        self._due_in: float | None = None  # seconds until something is due, after an empty claim

    # -- running --------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """The service loop: keep the pool busy with due deliveries until stopped."""
        next_sample = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() >= next_sample:
                    try:
                        self.sample_backlog()
                    except Exception:  # a database hiccup must not end the loop
                        log.warning("backlog not sampled", exc_info=True)
                    next_sample = time.monotonic() + self._settings.backlog_every.total_seconds()
                seen = self._wake.version
                try:
                    started = self.dispatch(wait_for_sends=False)
                except Exception:  # the database is away: keep the loop, try again shortly
                    log.warning("due deliveries not claimed; retrying", exc_info=True)
                    started = 0
                if started == 0:
                    self._wake.wait(seen, self._idle_wait(next_sample - time.monotonic()), stop)
        finally:
            self.close()
            self._release_backlog()

    def _idle_wait(self, until_sample: float) -> float:
        """How long to sleep before claiming again, unless woken: the poll interval, or with
        nothing due until the earliest pending delivery is due (at most `idle_polls` of them)."""
        poll = self._settings.poll_seconds
        if self._due_in is None:
            return poll
        longest = max(poll, min(poll * self._settings.idle_polls, until_sample))
        return min(longest, max(poll, self._due_in))

    def _release_backlog(self) -> None:
        """Hand the backlog gauge over at once (a rollout), not after the lease's ttl."""
        if self._backlog_lease is None:
            return
        self._backlog.clear()
        try:
            self._backlog_lease.release()
        except Exception:  # the database is away: the lease expires by itself
            log.warning("backlog lease not released", exc_info=True)

    def close(self) -> None:
        """Let running sends finish and record their outcome, then release the threads."""
        self._pool.shutdown(wait=True)
        self._recorder.close()

    def sample_backlog(self) -> dict[str, int] | None:
        """Set the pending-deliveries gauge if this replica exports it; returns the counts (None
        when another replica holds the backlog lease)."""
        if self._backlog_lease is not None and not self._backlog_lease.keep():
            self._backlog.clear()
            return None
        with transaction(self._sessions) as session:
            pending = deliveries.count_pending(session)
        self._backlog.update(
            {
                c.value: pending.get(c.value, 0)
                for c in (Channel.EMAIL, Channel.WEBHOOK, Channel.SMS)
            }
        )
        return pending

    def run_once(self) -> int:
        """Take what is due now, send it, and return once every attempt is recorded (tests)."""
        started = self.dispatch(wait_for_sends=True)
        self._recorder.flush()
        return started

    def dispatch(self, *, wait_for_sends: bool) -> int:
        """Claim due deliveries up to the capacity held, once half of it is free (a claim per
        finished send would cost a transaction each); returns how many were attempted."""
        with self._lock:
            free = self._capacity - self._in_flight
        self._due_in = None
        if free < max(1, self._capacity // 2):
            return 0
        now = self._clock.now()
        with transaction(self._sessions) as session:
            claimed = deliveries.claim_due(
                session, now=now, limit=free, lease_until=now + self._settings.lease
            )
            if not claimed:  # nothing due: when something will be (none pending: never)
                due = deliveries.next_due(session)
                self._due_in = math.inf if due is None else (due - now).total_seconds()
        futures: list[Future[None]] = []
        for delivery in claimed:
            message = self._outgoing(delivery)
            if message is None:
                continue
            adapter = self._ready(delivery, message, now)
            if adapter is None:
                continue
            with self._lock:
                self._in_flight += 1
            futures.append(self._pool.submit(self._attempt, delivery, message, adapter))
        if wait_for_sends:
            wait(futures)
        return len(futures)

    # -- one delivery -------------------------------------------------------------------------

    def _ready(self, delivery: Claimed, message: Outgoing, now: datetime) -> ChannelAdapter | None:
        """The adapter to send with now, or None when the delivery was settled or put off."""
        adapter = self._adapters.get(delivery.channel)
        if adapter is None or delivery.subscription_gone:
            reason = "unsubscribed" if delivery.subscription_gone else "refused"
            why = "subscription removed" if delivery.subscription_gone else "channel not configured"
            self._fail(delivery, delivery.attempts, why, reason)
            return None
        message_endpoint = adapter.endpoint(message)
        with self._lock:
            blocked = self._breaker.blocked_until(message_endpoint, now)
            bucket = self._buckets.get(delivery.channel)
            wait_for = None if blocked is not None or bucket is None else bucket.take(now)
        if blocked is not None:
            self._postpone(delivery, blocked, "circuit_open")
            return None
        if wait_for is not None:
            self._postpone(delivery, now + wait_for, "rate_limited")
            return None
        return adapter

    def _attempt(self, delivery: Claimed, message: Outgoing, adapter: ChannelAdapter) -> None:
        try:
            endpoint = adapter.endpoint(message)
            if self._opened_meanwhile(delivery, endpoint):
                return
            started = time.perf_counter()
            try:
                adapter.send(message)
            except SendFailed as failure:
                self._observe(delivery.channel, "error", started)
                self._failed_attempt(delivery, endpoint, failure)
            except Exception as exc:  # an adapter bug must not kill the loop: retry, visibly
                self._observe(delivery.channel, "error", started)
                log.exception("unexpected error sending", extra={"delivery_id": str(delivery.id)})
                self._failed_attempt(delivery, endpoint, SendFailed(type(exc).__name__))
            else:
                self._observe(delivery.channel, "ok", started)
                self._sent(delivery, endpoint)
        finally:
            with self._lock:
                self._in_flight -= 1
                # The service loop claims again at half capacity: wake it then, not per send.
                claim = self._in_flight == self._capacity - max(1, self._capacity // 2)
            if claim:
                self._wake.notify()

    def _opened_meanwhile(self, delivery: Claimed, endpoint: str) -> bool:
        """Whether the endpoint's circuit opened while the delivery waited for a thread (then
        it is postponed like those claimed after: a dead receiver gets no more attempts)."""
        now = self._clock.now()
        with self._lock:
            until = self._breaker.open_until(endpoint, now)
        if until is None:
            return False
        self._postpone(delivery, until, "circuit_open")
        return True

    def _sent(self, delivery: Claimed, endpoint: str) -> None:
        with self._lock:
            self._breaker.succeeded(endpoint)
        # With the others sent meanwhile: one UPDATE for all, in the background.
        self._recorder.add(delivery)

    def _recorded(self, delivery: Claimed, held: bool, now: datetime) -> None:
        """A sent delivery's outcome, once written (on the recorder's thread)."""
        if not held:
            self._lease_lost(delivery, "sent")
            return
        channel = delivery.channel.value
        metrics.DELIVERIES.labels(channel, "sent").inc()
        latency = max(0.0, (now - delivery.created_at).total_seconds())
        metrics.DELIVERY_LATENCY.labels(channel).observe(latency)
        log.info(
            "delivery sent",
            extra={
                "delivery_id": str(delivery.id),
                "channel": channel,
                "attempts": delivery.attempts + 1,
            },
        )

    def _failed_attempt(self, delivery: Claimed, endpoint: str, failure: SendFailed) -> None:
        now = self._clock.now()
        attempts = delivery.attempts + 1
        channel = delivery.channel.value
        if not failure.permanent:
            with self._lock:
                opened = self._breaker.failed(endpoint, now)
            if opened:
                metrics.CIRCUITS_OPENED.labels(channel).inc()
                log.warning("circuit opened", extra={"channel": channel, "endpoint_kind": channel})
        outcome = after_failure(
            failure, attempts=attempts, policy=self._settings.retry, now=now, random=self._jitter()
        )
        if isinstance(outcome, GiveUp):
            reason = "refused" if failure.permanent else "exhausted"
            self._fail(delivery, attempts, outcome.reason, reason)
            return
        with transaction(self._sessions) as session:
            held = deliveries.mark_retry(
                session, delivery, attempts=attempts, due=outcome.at, reason=outcome.reason
            )
        if not held:
            self._lease_lost(delivery, "retry")
            return
        metrics.RETRIES.labels(channel).inc()
        log.warning(
            "delivery attempt failed; retry scheduled",
            extra={
                "delivery_id": str(delivery.id),
                "channel": channel,
                "attempts": attempts,
                "error": failure.reason,
                "retry_at": outcome.at.isoformat(),
            },
        )

    def _fail(self, delivery: Claimed, attempts: int, why: str, reason: str) -> None:
        with transaction(self._sessions) as session:
            held = deliveries.mark_failed(session, delivery, attempts=attempts, reason=why)
        if not held:
            self._lease_lost(delivery, "failed")
            return
        channel = delivery.channel.value
        metrics.DELIVERIES.labels(channel, "failed").inc()
        metrics.FAILURES.labels(channel, reason).inc()
        log.error(
            "delivery failed",
            extra={"delivery_id": str(delivery.id), "channel": channel, "error": why},
        )

    def _postpone(self, delivery: Claimed, until: datetime, cause: str) -> None:
        with transaction(self._sessions) as session:
            held = deliveries.postpone(session, delivery, until=until)
        if not held:
            self._lease_lost(delivery, "postponed")
            return
        metrics.POSTPONED.labels(delivery.channel.value, cause).inc()

    @staticmethod
    def _lease_lost(delivery: Claimed, outcome: str) -> None:
        """The lease ran out and another replica has the delivery now (or settled it): its
        result stands, this attempt's is dropped (the receiver may see it twice; webhooks carry
        the same delivery id, the SMS gateway the same Idempotency-Key)."""
        metrics.LEASES_LOST.labels(delivery.channel.value).inc()
        log.warning(
            "delivery lease lost; outcome not recorded",
            extra={"delivery_id": str(delivery.id), "outcome": outcome},
        )

    def _outgoing(self, delivery: Claimed) -> Outgoing | None:
        """The message with its address opened, or None (and FAILED) when no key opens it."""
        try:
            address = delivery.address.open(self._keys)
        except UnreadableCiphertext:
            # The key that sealed it left the ring (or the row was tampered with): no retry can
            # help until an operator restores the key, so say so instead of retrying blindly.
            self._fail(delivery, delivery.attempts, "address unreadable: key missing", "unreadable")
            return None
        return Outgoing(
            delivery_id=str(delivery.id),
            address=address,
            title=delivery.title,
            body=delivery.body,
            event_type=delivery.event_type,
            secret=delivery.secret,
        )

    @staticmethod
    def _observe(channel: Channel, result: str, started: float) -> None:
        metrics.ATTEMPT_SECONDS.labels(channel.value, result).observe(time.perf_counter() - started)
