"""Backoff with jitter, giving up, the circuit breaker and the rate limit, on injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.notification.domain.delivery import (
    CircuitBreaker,
    GiveUp,
    Retry,
    RetryPolicy,
    SendFailed,
    TokenBucket,
    after_failure,
)

T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 2), (2, 4), (3, 8), (4, 16), (10, 60)])
def test_the_delay_doubles_up_to_the_cap(attempts: int, ceiling: float) -> None:
    policy = RetryPolicy(base_seconds=2, max_seconds=60, jitter=0.5)
    assert policy.delay(attempts, 0.0) == timedelta(seconds=ceiling / 2)
    assert policy.delay(attempts, 0.999999) == pytest.approx(
        timedelta(seconds=ceiling), abs=timedelta(milliseconds=1)
    )


def test_jitter_spreads_retries_that_failed_together() -> None:
    policy = RetryPolicy(base_seconds=10, jitter=1.0)
    delays = {policy.delay(3, r / 10) for r in range(10)}
    assert len(delays) == 10
    assert max(delays) < timedelta(seconds=40)


def test_a_transient_failure_is_retried_until_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=1, jitter=0)
    failure = SendFailed("HTTP 503")
    first = after_failure(failure, attempts=1, policy=policy, now=T0, random=0.5)
    assert first == Retry(T0 + timedelta(seconds=1), "HTTP 503")
    last = after_failure(failure, attempts=3, policy=policy, now=T0, random=0.5)
    assert isinstance(last, GiveUp)
    assert "3 attempts" in last.reason and "HTTP 503" in last.reason


def test_a_permanent_refusal_fails_at_once() -> None:
    outcome = after_failure(
        SendFailed("HTTP 410", permanent=True), attempts=1, policy=RetryPolicy(), now=T0, random=0
    )
    assert outcome == GiveUp("refused: HTTP 410")


def test_the_breaker_opens_after_the_threshold_then_lets_one_trial_through() -> None:
    breaker = CircuitBreaker(threshold=3, rest=timedelta(seconds=30))
    for _ in range(2):
        assert breaker.blocked_until("a", T0) is None
        assert not breaker.failed("a", T0)
    assert breaker.failed("a", T0)  # third consecutive failure opens it
    assert breaker.blocked_until("a", T0 + timedelta(seconds=10)) == T0 + timedelta(seconds=30)
    assert breaker.blocked_until("b", T0) is None  # other endpoints are not affected

    later = T0 + timedelta(seconds=31)
    assert breaker.blocked_until("a", later) is None  # the trial
    assert breaker.blocked_until("a", later) is not None  # only one trial at a time
    assert breaker.failed("a", later)  # the trial failed: open again
    assert breaker.is_open("a", later + timedelta(seconds=29))

    again = later + timedelta(seconds=31)
    assert breaker.blocked_until("a", again) is None
    breaker.succeeded("a")
    assert breaker.blocked_until("a", again) is None
    assert not breaker.is_open("a", again)


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(threshold=2)
    breaker.failed("a", T0)
    breaker.succeeded("a")
    assert not breaker.failed("a", T0)


def test_the_rate_limit_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=2.0)
    assert bucket.take(T0) is None
    assert bucket.take(T0) is None
    wait = bucket.take(T0)
    assert wait == timedelta(seconds=0.5)
    assert bucket.take(T0 + timedelta(seconds=0.5)) is None
    assert bucket.take(T0 + timedelta(seconds=0.5)) is not None
