"""Webhook signatures: what a receiver accepts and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridplus.kit.clock import ManualClock
from gridplus.notification.channels.signing import (
    InvalidSignature,
    RepeatedDelivery,
    WebhookVerifier,
    sign,
    signature_headers,
)

T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
SECRET = "s3cret-s3cret"
BODY = b'{"type":"gridplus.events.v1.PetitionAssigned"}'


def headers(delivery_id: str = "d-1", at: datetime = T0, secret: str = SECRET) -> dict[str, str]:
    return signature_headers(secret, BODY, delivery_id=delivery_id, now=at)


def test_the_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1741075200." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1741075200, BODY) == f"v1={expected}"
    assert headers()["X-GridPlus-Timestamp"] == str(int(T0.timestamp()))


def test_an_authentic_fresh_request_is_accepted_once() -> None:
    verifier = WebhookVerifier(SECRET, clock=ManualClock(T0 + timedelta(seconds=20)))
    assert verifier.verify(headers(), BODY) == "d-1"
    with pytest.raises(RepeatedDelivery):
        verifier.verify(headers(at=T0 + timedelta(seconds=10)), BODY)  # a retry, re-signed
    assert verifier.verify(headers("d-2"), BODY) == "d-2"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: {**h, "X-GridPlus-Signature": "v1=" + "0" * 64},
        lambda h: {**h, "X-GridPlus-Timestamp": str(int(h["X-GridPlus-Timestamp"]) + 1)},
        lambda h: {k: v for k, v in h.items() if k != "X-GridPlus-Signature"},
        lambda h: {**h, "X-GridPlus-Timestamp": "soon"},
    ],
)
def test_a_tampered_request_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    verifier = WebhookVerifier(SECRET, clock=ManualClock(T0))
    with pytest.raises(InvalidSignature):
        verifier.verify(tamper(headers()), BODY)


def test_another_body_or_secret_is_refused() -> None:
    verifier = WebhookVerifier(SECRET, clock=ManualClock(T0))
    with pytest.raises(InvalidSignature):
        verifier.verify(headers(), BODY + b" ")
    with pytest.raises(InvalidSignature):
        verifier.verify(headers(secret="other"), BODY)


def test_a_captured_request_replayed_outside_the_window_is_refused() -> None:
    clock = ManualClock(T0 + timedelta(minutes=6))
    verifier = WebhookVerifier(SECRET, tolerance=timedelta(minutes=5), clock=clock)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verifier.verify(headers(), BODY)


def test_header_names_are_case_insensitive() -> None:
    verifier = WebhookVerifier(SECRET, clock=ManualClock(T0))
    lowered = {key.lower(): value for key, value in headers().items()}
    assert verifier.verify(lowered, BODY) == "d-1"
