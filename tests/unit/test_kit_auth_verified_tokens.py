"""kit.auth's VerifiedTokens (issue 13): a deployment token that passed is not decoded again on
every call, yet answers exactly as a full check would: refused once expired (and logged), never
held when refused, held by its hash only, bounded, and in an OIDC deployment still only for
role service."""

from __future__ import annotations

import logging
import time
from typing import Any, cast

import jwt
import pytest

from gridplus.kit import auth
from gridplus.kit.auth import (
    ALGORITHM,
    Principal,
    Refusal,
    Role,
    TokenRefused,
    TokenVerifier,
    VerifiedTokens,
    mint_token,
)
from gridplus.kit.config import JwtSettings
from gridplus.kit.oidc import OidcTokens

SECRET = "unit-secret-unit-secret-unit-secret-0123"
SETTINGS = JwtSettings(SECRET, "gridplus")
WORKER = Principal("w-1", Role.GRID_WORKER, ("MN0502",))


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Tokens PyJWT decodes (with or without their signature) from now on."""
    seen: list[str] = []
    real = jwt.decode

    def decode(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", decode)
    return seen


def _refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "call refused"]


def test_a_verified_token_is_decoded_once_and_answers_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = TokenVerifier(SETTINGS)
    token = mint_token(SETTINGS, subject="w-1", role=Role.GRID_WORKER, grid_codes=("MN0502",))
    decoded = _counting_decodes(monkeypatch)
    first = verifier.verify(token)
    again = [verifier.verify(token) for _ in range(5)]
    assert decoded == [token]
    assert all(p == first for p in again)
    assert (first.subject, first.role, first.grid_codes) == ("w-1", Role.GRID_WORKER, ("MN0502",))


def test_an_expired_token_is_refused_and_logged_though_it_passed_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    verifier = TokenVerifier(SETTINGS)
    # 2 s, not 1: a token minted at x.99 s with 1 s could expire before the first check.
    token = mint_token(SETTINGS, subject="w-1", role=Role.GRID_WORKER, ttl_seconds=2)
    assert verifier.verify(token).subject == "w-1"
    expires = int(jwt.decode(token, options={"verify_signature": False})["exp"])
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(TokenRefused) as refused:
        verifier.verify(token)
    assert refused.value.reason is Refusal.EXPIRED
    assert len(_refusals(caplog)) == 1


def test_a_refused_token_is_checked_and_logged_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    verifier = TokenVerifier(SETTINGS)
    good = mint_token(SETTINGS, subject="w-1", role=Role.GRID_WORKER)
    verifier.verify(good)
    # The same claims signed with another secret: another token, never the held one's verdict.
    claims = jwt.decode(good, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-another-secret-0123456789", algorithm=ALGORITHM)
    for _ in range(2):
        with pytest.raises(TokenRefused) as refused:
            verifier.verify(forged)
        assert refused.value.reason is Refusal.BAD_SIGNATURE
    assert len(_refusals(caplog)) == 2


def test_held_tokens_pass_only_between_valid_from_and_exp_and_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [150.0]
    monkeypatch.setattr(auth.time, "time", lambda: now[0])
    held = VerifiedTokens(size=2)
    held.put("token-a", WORKER, 100, 200)
    assert held.get("token-a") == WORKER
    now[0] = 99.0  # the clock stepped back before iat: checked in full again
    assert held.get("token-a") is None and len(held) == 0
    now[0] = 150.0
    held.put("token-a", WORKER, 100, 200)
    now[0] = 200.0  # PyJWT refuses at exp itself
    assert held.get("token-a") is None
    now[0] = 150.0
    for name in ("token-a", "token-b", "token-c"):
        held.put(name, WORKER, 100, 200)
    assert len(held) == 2 and held.get("token-a") is None and held.get("token-c") == WORKER
    # Only hashes are kept: a bearer token is not left in the process's memory by the cache.
    assert all(isinstance(key, bytes) and len(key) == 32 for key in held._held)


def test_a_token_without_iat_is_held_only_while_its_remaining_lifetime_is_allowed() -> None:
    verifier = TokenVerifier(JwtSettings(SECRET, "gridplus", max_ttl_seconds=3600))
    now = int(time.time())
    claims = {"sub": "w-1", "role": "grid_worker", "iss": "gridplus", "exp": now + 600}
    verifier.verify(jwt.encode(claims, SECRET, algorithm=ALGORITHM))
    assert verifier._valid_from(claims) == now + 600 - 3600
    with_nbf = {**claims, "iat": now - 5, "nbf": now - 1}
    assert verifier._valid_from(with_nbf) == now - 1


class _NoProvider(OidcTokens):
    """An OIDC deployment whose provider is never asked in these tests."""

    def __init__(self) -> None:
        pass


def test_with_a_provider_dev_tokens_of_people_stay_refused_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    verifier = TokenVerifier(SETTINGS, oidc=cast(OidcTokens, _NoProvider()))
    service = mint_token(SETTINGS, subject="dispatch", role=Role.SERVICE)
    assert verifier.verify(service).role is Role.SERVICE
    assert verifier.verify(service).role is Role.SERVICE
    person = mint_token(SETTINGS, subject="w-1", role=Role.GRID_WORKER)
    for _ in range(2):
        with pytest.raises(TokenRefused) as refused:
            verifier.verify(person)
        assert refused.value.reason is Refusal.DEV_TOKEN
    assert len(_refusals(caplog)) == 2
