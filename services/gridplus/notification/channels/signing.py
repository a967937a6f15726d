"""Webhook signatures, and the verifier receivers can use.

Each POST carries:
    X-GridPlus-Timestamp: Unix seconds when this attempt was signed
    X-GridPlus-Delivery:  the delivery id (the same on every retry of one delivery)
    X-GridPlus-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>", keyed by the secret>

A receiver recomputes the HMAC over the raw body it read, compares in constant time, refuses a
timestamp outside its tolerance (a captured request replayed later), and treats a delivery id it
has already accepted as a repeat: answer 2xx without acting again (retries reuse the id).

    verifier = WebhookVerifier(secret)
    try:
        verifier.verify(request.headers, request.get_data())
    except RepeatedDelivery:
        return "", 200          # already handled
    except InvalidSignature:
        return "", 401
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta

from gridplus.kit.clock import Clock, SystemClock

TIMESTAMP_HEADER = "X-GridPlus-Timestamp"
SIGNATURE_HEADER = "X-GridPlus-Signature"
DELIVERY_HEADER = "X-GridPlus-Delivery"
VERSION = "v1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def signature_headers(
    secret: str, body: bytes, *, delivery_id: str, now: datetime
) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


class InvalidSignature(Exception):
    """The request is not an authentic, fresh Grid+ webhook POST."""


class RepeatedDelivery(InvalidSignature):
    """Authentic, but this delivery id was accepted before: answer 2xx, do not act again."""


class WebhookVerifier:
    def __init__(
        self,
        secret: str,
        *,
        tolerance: timedelta = timedelta(minutes=5),
        clock: Clock | None = None,
        remember: int = 100_000,
        remember_for: timedelta = timedelta(days=2),
    ) -> None:
        self._secret = secret
        self._tolerance = tolerance
        self._clock = clock or SystemClock()
        self._remember = remember
        self._remember_for = remember_for
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """Returns the delivery id of an authentic, fresh, first-seen request; raises otherwise."""
        lowered = {key.lower(): value for key, value in headers.items()}
        raw_timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
        signature = lowered.get(SIGNATURE_HEADER.lower(), "")
        delivery_id = lowered.get(DELIVERY_HEADER.lower(), "")
        if not (raw_timestamp and signature and delivery_id):
            raise InvalidSignature("signature headers missing")
        try:
            timestamp = int(raw_timestamp)
        except ValueError:
            raise InvalidSignature("timestamp is not an integer") from None
        if not hmac.compare_digest(sign(self._secret, timestamp, body), signature):
            raise InvalidSignature("signature does not match")
        now = self._clock.now()
        if abs(now.timestamp() - timestamp) > self._tolerance.total_seconds():
            raise InvalidSignature("timestamp outside the tolerance window")
        with self._lock:
            self._forget_older_than(now - self._remember_for)
            if delivery_id in self._seen:
                raise RepeatedDelivery(f"delivery {delivery_id} already accepted")
            self._seen[delivery_id] = now
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        return delivery_id

    def _forget_older_than(self, cutoff: datetime) -> None:
        # Retries of one delivery reuse its id for as long as the retry schedule runs (hours);
        # a receiver that must never act twice keeps ids in its own database instead.
        while self._seen:
            oldest_id, seen_at = next(iter(self._seen.items()))
            if seen_at >= cutoff:
                return
            del self._seen[oldest_id]
