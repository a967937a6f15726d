"""Against a real OpenID Connect provider on loopback (oidc-provider-mock, its own process): its
opaque access tokens are checked at its userinfo endpoint and mapped to Grid+ roles; answers are
cached briefly (keyed by a hash, never the token); its RS256 ID token verifies against its real
JWKS; and a real grid-registry process configured with the issuer by environment accepts the
provider's token and refuses a forged one."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import grpc
import pytest
import requests

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.kit.auth import Refusal, Role, TokenRefused, TokenVerifier, mint_token
from gridplus.kit.config import Env, JwtSettings, OidcSettings
from gridplus.kit.oidc import OidcTokens
from gridplus.kit.oidc_provider import HttpAnswer, http_fetch
from tests.conftest import JWT_SECRET
from tests.integration.grid_registry.registry import (
    ROOT,
    service_env,
)
from tests.integration.grid_registry.test_process import wait_serving
from tests.support.oidc import CLIENT_ID, KeyServer, OidcProvider, oidc_provider
from tests.support.ports import free_port

pytestmark = pytest.mark.integration
__all__ = ["oidc_provider"]  # the session fixture, used below

AUDIENCE = "gridplus-api"


class Counting:
    """The real HTTP fetch, counting requests per URL path."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(
        self, url: str, form: Mapping[str, str] | None, headers: Mapping[str, str]
    ) -> HttpAnswer:
        self.paths.append("/" + url.split("/", 3)[3])
        return http_fetch(url, form, headers)


def verifier(
    provider: OidcProvider | KeyServer,
    fetch: Callable[..., HttpAnswer] = http_fetch,
    **more: object,
) -> TokenVerifier:
    oidc = OidcSettings(issuer=provider.issuer, audience=AUDIENCE, **more)  # type: ignore[arg-type]
    settings = JwtSettings(JWT_SECRET, "gridplus", oidc=oidc)
    return TokenVerifier(settings, oidc=OidcTokens(oidc, fetch=fetch))


def test_an_opaque_token_maps_to_role_grids_and_department(oidc_provider: OidcProvider) -> None:
    token = oidc_provider.access_token(
        "kc-staff-1",
        {
            "gridplus_role": "department_staff",
            "gridplus_department": "sanitation",
            "gridplus_grids": ["MN05"],
        },
    )
    assert token.count(".") != 2  # the mock's access tokens are opaque
    staff = verifier(oidc_provider).verify(token)
    assert (staff.subject, staff.role, staff.department, staff.grid_codes) == (
        "kc-staff-1",
        Role.DEPARTMENT_STAFF,
        "sanitation",
        ("MN05",),
    )
    resident = verifier(oidc_provider).verify(oidc_provider.access_token("kc-res-1", {}))
    assert (resident.subject, resident.role) == ("kc-res-1", Role.RESIDENT)


def test_unknown_roles_and_made_up_tokens_are_refused(
    oidc_provider: OidcProvider, caplog: pytest.LogCaptureFixture
) -> None:
    check = verifier(oidc_provider)
    cases = [
        (oidc_provider.access_token("kc-x", {"gridplus_role": "mayor"}), Refusal.UNKNOWN_ROLE),
        (oidc_provider.access_token("kc-y", {"gridplus_role": "service"}), Refusal.UNKNOWN_ROLE),
        ("made-up-token-0123456789", Refusal.INACTIVE),
        ("token with spaces", Refusal.MALFORMED_TOKEN),
    ]
    for token, reason in cases:
        caplog.clear()
        with caplog.at_level(logging.WARNING), pytest.raises(TokenRefused) as refused:
            check.verify(token)
        assert refused.value.reason is reason, token
        assert [r.__dict__.get("reason") for r in caplog.records] == [reason.value]
        assert token not in caplog.text


def test_answers_are_cached_briefly_so_a_revoked_token_ends_with_the_cache(
    oidc_provider: OidcProvider,
) -> None:
    token = oidc_provider.access_token("kc-cache", {"gridplus_role": "inspector"})
    fetch = Counting()
    cached = verifier(oidc_provider, fetch)
    uncached = verifier(oidc_provider, cache_seconds=0)
    for _ in range(3):
        assert cached.verify(token).role is Role.INSPECTOR
    assert fetch.paths.count("/userinfo") == 1
    assert uncached.verify(token).role is Role.INSPECTOR
    requests.post(f"{oidc_provider.issuer}/users/kc-cache/revoke-tokens", timeout=5)
    # Within the cache period the answer held stands; without a cache the revocation shows.
    assert cached.verify(token).role is Role.INSPECTOR
    with pytest.raises(TokenRefused) as refused:
        uncached.verify(token)
    assert refused.value.reason is Refusal.INACTIVE


def test_the_providers_rs256_id_token_verifies_against_its_real_jwks(
    oidc_provider: OidcProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """Providers that issue JWT access tokens sign them like this ID token: same keys, same
    checks. The ID token's audience is the client id."""
    id_token = oidc_provider.tokens("kc-jwt", {"gridplus_role": "grid_chief"})["id_token"]
    as_client = OidcSettings(issuer=oidc_provider.issuer, audience=CLIENT_ID)
    chief = TokenVerifier(JwtSettings(JWT_SECRET, "gridplus", oidc=as_client)).verify(id_token)
    assert (chief.subject, chief.role) == ("kc-jwt", Role.GRID_CHIEF)
    with pytest.raises(TokenRefused) as refused:
        verifier(oidc_provider).verify(id_token)
    assert refused.value.reason is Refusal.WRONG_AUDIENCE


def test_introspection_is_used_when_announced_and_a_client_secret_is_set(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = KeyServer()
    try:
        server.introspection = {
            "opaque-good": {
                "active": True,
                "sub": "kc-9",
                "aud": AUDIENCE,
                "gridplus_role": "qa",
            },
            "opaque-other-app": {"active": True, "sub": "kc-9", "aud": "another-app"},
        }
        server.introspection_auth = "Basic Z3JpZHBsdXMtYXBpOnMzY3JldA=="  # gridplus-api:s3cret
        check = verifier(server, client_secret="s3cret")
        with pytest.raises(TokenRefused) as unknown:
            check.verify("opaque-good")
        assert unknown.value.reason is Refusal.UNKNOWN_ROLE
        server.introspection["opaque-good"]["gridplus_role"] = "admin"
        assert verifier(server, client_secret="s3cret").verify("opaque-good").role is Role.ADMIN
        for token, reason in [
            ("opaque-other-app", Refusal.WRONG_AUDIENCE),
            ("opaque-revoked", Refusal.INACTIVE),
        ]:
            with pytest.raises(TokenRefused) as refused:
                check.verify(token)
            assert refused.value.reason is reason
        assert server.introspection_calls == 4
    finally:
        server.stop()


def test_a_real_service_configured_by_environment_accepts_the_providers_tokens(
    oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    """grid-registry as its own process with GRIDPLUS_OIDC_ISSUER/AUDIENCE: a provider token
    lists the petition categories (seeded at start, no import needed), a forged one and a dev
    token are UNAUTHENTICATED."""
    grpc_port, metrics_port = free_port(), free_port()
    env = service_env(
        f"sqlite:///{tmp_path}/grid_registry.db",
        GRIDPLUS_GRID_REGISTRY_GRPC_PORT=str(grpc_port),
        GRIDPLUS_GRID_REGISTRY_METRICS_PORT=str(metrics_port),
        GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",  # no broker needed here
        GRIDPLUS_VAR_DIR=str(tmp_path),
        GRIDPLUS_SHUTDOWN_GRACE_SECONDS="2",
        GRIDPLUS_OIDC_ISSUER=oidc_provider.issuer,
        GRIDPLUS_OIDC_AUDIENCE=AUDIENCE,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gridplus.grid_registry", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_serving(grpc_port)
        token = oidc_provider.access_token("kc-res-77", {})
        dev = mint_token(
            JwtSettings.from_env(Env({"GRIDPLUS_JWT_SECRET": JWT_SECRET})),
            subject="dev-resident",
            role=Role.RESIDENT,
        )
        request = grid_pb2.ListCategoriesRequest()
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
            listed = stub.ListCategories(
                request, metadata=[("authorization", f"Bearer {token}")], timeout=10
            )
            assert "urban_rural_construction" in [c.code for c in listed.categories]
            for forged in (token[::-1], dev):
                with pytest.raises(grpc.RpcError) as raised:
                    stub.ListCategories(
                        request, metadata=[("authorization", f"Bearer {forged}")], timeout=10
                    )
                assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED
        metrics = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        for reason in ("inactive", "dev_token"):
            counted = f'gridplus_auth_refused_total{{channel="grpc",reason="{reason}"}} 1.0'
            assert counted in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    log = process.stderr.read() if process.stderr else ""
    assert '"reason": "inactive"' in log and '"reason": "dev_token"' in log, log
    assert token not in log and token[::-1] not in log
