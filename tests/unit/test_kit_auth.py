"""kit.auth: tokens valid for longer than the configured maximum are refused, and every refused
call leaves one log line (reason, where from; never the token) and a counter behind."""

from __future__ import annotations

import json
import logging
import time

import jwt
import pytest
from flask import Flask, request
from prometheus_client import REGISTRY

from gridplus.kit.auth import (
    ALGORITHM,
    Refusal,
    RequestOrigin,
    Role,
    TokenRefused,
    TokenVerifier,
    mint_token,
)
from gridplus.kit.config import ConfigError, Env, JwtSettings
from gridplus.kit.errors import Unauthenticated
from gridplus.kit.interceptors import KitServerInterceptor
from gridplus.kit.logging import JsonFormatter

SECRET = "unit-secret-unit-secret-unit-secret-0123"
SETTINGS = JwtSettings(SECRET, "gridplus")
DAY = 86400
GRPC = RequestOrigin("grpc", "/gridplus.grid.v1.GridRegistryService/ListMembers", "ipv4:10.0.0.9:1")


def token(lifetime: int, *, with_iat: bool = True, secret: str = SECRET) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "w-MN0502-1",
        "role": "grid_worker",
        "iss": "gridplus",
        "exp": now + lifetime,
    }
    if with_iat:
        claims["iat"] = now
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The refusal records as the services' JSON log lines."""
    formatter = JsonFormatter("test")
    return [
        formatter.format(r)
        for r in caplog.records
        if r.name == "gridplus.kit.auth" and r.getMessage() == "call refused"
    ]


def refused_count(channel: str, reason: Refusal) -> float:
    """gridplus_auth_refused_total, which the interceptors module (every service imports it for
    its gRPC server) counts for HTTP refusals too."""
    assert KitServerInterceptor  # imported for that wiring
    value = REGISTRY.get_sample_value(
        "gridplus_auth_refused_total", {"channel": channel, "reason": reason.value}
    )
    return value or 0.0


# -- maximum lifetime ----------------------------------------------------------------------------


def test_a_two_day_token_is_refused_with_a_clear_message() -> None:
    with pytest.raises(TokenRefused) as refused:
        TokenVerifier(SETTINGS).verify(token(2 * DAY))
    assert refused.value.reason is Refusal.LIFETIME_TOO_LONG
    assert isinstance(refused.value, Unauthenticated)  # UNAUTHENTICATED / 401 to the caller
    assert "valid for 172800 s, longer than the 86400 s this deployment accepts" in str(
        refused.value
    )


def test_a_token_without_iat_is_measured_from_now() -> None:
    verifier = TokenVerifier(SETTINGS)
    with pytest.raises(TokenRefused) as refused:
        verifier.verify(token(2 * DAY, with_iat=False))
    assert refused.value.reason is Refusal.LIFETIME_TOO_LONG
    assert verifier.verify(token(3600, with_iat=False)).subject == "w-MN0502-1"


def test_an_hour_long_token_and_a_full_day_are_accepted() -> None:
    verifier = TokenVerifier(SETTINGS)
    principal = verifier.verify(token(3600))
    assert (principal.subject, principal.role) == ("w-MN0502-1", Role.GRID_WORKER)
    assert verifier.verify(token(DAY)).role is Role.GRID_WORKER
    minted = mint_token(SETTINGS, subject="admin-1", role=Role.ADMIN, ttl_seconds=DAY)
    assert verifier.verify(minted).role is Role.ADMIN


def test_the_maximum_is_a_setting() -> None:
    env = {"GRIDPLUS_JWT_SECRET": SECRET, "GRIDPLUS_JWT_MAX_TTL_SECONDS": "3600"}
    strict = JwtSettings.from_env(Env(env))
    assert strict.max_ttl_seconds == 3600
    with pytest.raises(TokenRefused):
        TokenVerifier(strict).verify(token(7200))
    assert JwtSettings.from_env(Env({"GRIDPLUS_JWT_SECRET": SECRET})).max_ttl_seconds == DAY
    with pytest.raises(ConfigError, match="GRIDPLUS_JWT_MAX_TTL_SECONDS"):
        JwtSettings.from_env(Env({**env, "GRIDPLUS_JWT_MAX_TTL_SECONDS": "a week"}))


def test_the_kit_does_not_mint_what_it_would_refuse() -> None:
    with pytest.raises(ValueError, match="ttl_seconds 2592000"):
        mint_token(SETTINGS, subject="x", role=Role.ADMIN, ttl_seconds=30 * DAY)


# -- the refusal log line ------------------------------------------------------------------------


def test_a_refused_token_is_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    forged = token(3600, secret="another-secret-another-secret-0123456")
    before = refused_count("grpc", Refusal.BAD_SIGNATURE)
    with pytest.raises(TokenRefused):
        TokenVerifier(SETTINGS).verify_authorization(f"Bearer {forged}", origin=GRPC)
    [line] = refusal_lines(caplog)
    entry = json.loads(line)
    assert (entry["level"], entry["reason"], entry["channel"]) == (
        "WARNING",
        "bad_signature",
        "grpc",
    )
    assert (entry["target"], entry["peer"]) == (GRPC.target, GRPC.peer)
    # A forged token's claims are the prober's words: not even its subject is repeated.
    assert "subject" not in entry
    assert forged not in line and forged.split(".")[1] not in line
    assert refused_count("grpc", Refusal.BAD_SIGNATURE) == before + 1


def test_an_over_long_token_of_a_real_account_names_its_subject(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    long_lived = token(2 * DAY)
    with pytest.raises(TokenRefused):
        TokenVerifier(SETTINGS).verify_authorization(f"Bearer {long_lived}", origin=GRPC)
    [line] = refusal_lines(caplog)
    entry = json.loads(line)
    assert (entry["reason"], entry["subject"]) == ("lifetime_too_long", "w-MN0502-1")
    assert long_lived not in line


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, Refusal.MISSING),
        ("Basic dXNlcjpwYXNz", Refusal.MALFORMED_HEADER),
        ("Bearer not-a-jwt", Refusal.MALFORMED_TOKEN),
    ],
)
def test_every_kind_of_refusal_is_logged(
    caplog: pytest.LogCaptureFixture, header: str | None, reason: Refusal
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    with pytest.raises(TokenRefused) as refused:
        TokenVerifier(SETTINGS).verify_authorization(header, origin=GRPC)
    assert refused.value.reason is reason
    [line] = refusal_lines(caplog)
    assert json.loads(line)["reason"] == reason.value
    assert "dXNlcjpwYXNz" not in line and "not-a-jwt" not in line


def test_an_http_refusal_names_the_route_and_peer(caplog: pytest.LogCaptureFixture) -> None:
    """The petition app calls verify_authorization without an origin; the kit finds the Flask
    request itself, so both channels log the same way."""
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    verifier = TokenVerifier(SETTINGS)
    app = Flask("probe")

    @app.get("/api/v1/petitions/<petition_id>")
    def petition(petition_id: str) -> str:
        verifier.verify_authorization(request.headers.get("Authorization"))
        return petition_id

    @app.errorhandler(Unauthenticated)
    def refused(error: Unauthenticated) -> tuple[str, int]:
        return error.message, 401

    expired = token(-60)
    before = refused_count("http", Refusal.EXPIRED)
    answer = app.test_client().get(
        "/api/v1/petitions/p-123", headers={"Authorization": f"Bearer {expired}"}
    )
    assert answer.status_code == 401
    [line] = refusal_lines(caplog)
    entry = json.loads(line)
    assert (entry["channel"], entry["target"], entry["peer"], entry["reason"]) == (
        "http",
        "GET /api/v1/petitions/<petition_id>",
        "127.0.0.1",
        "expired",
    )
    assert expired not in line
    assert refused_count("http", Refusal.EXPIRED) == before + 1
