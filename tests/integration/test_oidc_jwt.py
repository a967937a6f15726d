"""JWT access tokens of a city's identity provider, checked against its JWKS served over real HTTP
on loopback: the two algorithms providers use, key rotation, and what an attacker tries
(expired, not yet valid, other issuer, other audience, `alg: none`, HS256 with the public key,
a key the provider never published, the deployment's dev tokens). Every refusal is logged
once with its reason and never with the token."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from gridplus.kit.auth import (
    Refusal,
    Role,
    ServiceToken,
    TokenRefused,
    TokenVerifier,
    mint_token,
)
from gridplus.kit.config import JwtSettings, OidcSettings
from gridplus.kit.oidc_provider import ProviderUnavailable
from tests.conftest import JWT_SECRET
from tests.support.oidc import KeyServer, unsigned_token
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

AUDIENCE = "gridplus-api"


@pytest.fixture
def issuer() -> Iterator[KeyServer]:
    server = KeyServer()
    server.add_rsa_key("rsa-1")
    server.add_ec_key("ec-1")
    try:
        yield server
    finally:
        server.stop()


def verifier(issuer: KeyServer, *, refetch_seconds: int = 0, **more: object) -> TokenVerifier:
    oidc = OidcSettings(
        issuer=issuer.issuer,
        audience=AUDIENCE,
        jwks_refetch_seconds=refetch_seconds,
        **more,  # type: ignore[arg-type]
    )
    return TokenVerifier(JwtSettings(JWT_SECRET, "gridplus", oidc=oidc))


def refused(
    check: TokenVerifier, token: str, caplog: pytest.LogCaptureFixture
) -> tuple[Refusal, str]:
    """The refusal's reason and message; exactly one refusal line logged, without the token."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, "gridplus.kit.auth"), pytest.raises(TokenRefused) as e:
        check.verify(token)
    lines = [r for r in caplog.records if r.getMessage() == "call refused"]
    assert [r.__dict__["reason"] for r in lines] == [e.value.reason.value]
    assert token not in caplog.text
    return e.value.reason, str(e.value)


def test_rs256_and_es256_tokens_map_role_grids_and_department(issuer: KeyServer) -> None:
    check = verifier(issuer)
    staff = check.verify(
        issuer.sign(
            {
                "sub": "kc-7f3a",
                "gridplus_role": "department_staff",
                "gridplus_department": "sanitation",
            },
            kid="rsa-1",
        )
    )
    assert (staff.subject, staff.role, staff.department) == (
        "kc-7f3a",
        Role.DEPARTMENT_STAFF,
        "sanitation",
    )
    worker = check.verify(
        issuer.sign(
            {"sub": "kc-11", "gridplus_role": "grid_worker", "gridplus_grids": ["MN0502"]},
            kid="ec-1",
        )
    )
    assert (worker.role, worker.grid_codes) == (Role.GRID_WORKER, ("MN0502",))
    resident = check.verify(issuer.sign({"sub": "kc-12"}, kid="ec-1"))
    assert (resident.role, resident.grid_codes, resident.department) == (Role.RESIDENT, (), None)


def test_claim_names_are_configurable(issuer: KeyServer) -> None:
    check = verifier(
        issuer, role_claim="grid_role", grids_claim="grid_codes", department_claim="dept"
    )
    chief = check.verify(
        issuer.sign(
            {"sub": "kc-20", "grid_role": "grid_chief", "grid_codes": "MN05 MN06", "dept": "x"},
            kid="rsa-1",
        )
    )
    assert (chief.role, chief.grid_codes, chief.department) == (
        Role.GRID_CHIEF,
        ("MN05", "MN06"),
        "x",
    )
    # The default name means nothing to this deployment: a resident.
    other = check.verify(issuer.sign({"sub": "kc-21", "gridplus_role": "admin"}, kid="rsa-1"))
    assert other.role is Role.RESIDENT


def test_a_rotated_key_is_picked_up_and_a_dropped_key_refused(
    issuer: KeyServer, caplog: pytest.LogCaptureFixture
) -> None:
    check = verifier(issuer)
    old = issuer.sign({"sub": "kc-1"}, kid="rsa-1")
    assert check.verify(old).subject == "kc-1"
    assert issuer.jwks_fetches == 1
    # The provider rotates: rsa-2 published, rsa-1 dropped.
    issuer.add_rsa_key("rsa-2")
    issuer.published.remove("rsa-1")
    assert check.verify(issuer.sign({"sub": "kc-2"}, kid="rsa-2")).subject == "kc-2"
    assert issuer.jwks_fetches == 2
    reason, message = refused(check, old, caplog)
    assert reason is Refusal.UNKNOWN_KEY
    assert "rsa-1" in message


def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval(
    issuer: KeyServer, caplog: pytest.LogCaptureFixture
) -> None:
    check = verifier(issuer, refetch_seconds=30)
    assert check.verify(issuer.sign({"sub": "kc-1"}, kid="rsa-1")).subject == "kc-1"
    issuer.add_rsa_key("never-published", publish=False)
    for _ in range(5):
        forged = issuer.sign({"sub": "kc-1"}, kid="never-published")
        assert refused(check, forged, caplog)[0] is Refusal.UNKNOWN_KEY
    # The first fetch is less than 30 s old: forged kids cost the provider nothing.
    assert issuer.jwks_fetches == 1


def test_a_key_rotated_in_within_the_interval_waits_for_it(issuer: KeyServer) -> None:
    check = verifier(issuer, refetch_seconds=1)
    assert check.verify(issuer.sign({"sub": "kc-1"}, kid="rsa-1")).subject == "kc-1"
    issuer.add_rsa_key("rsa-2")
    fresh = issuer.sign({"sub": "kc-2"}, kid="rsa-2")
    with pytest.raises(TokenRefused):
        check.verify(fresh)
    time.sleep(1.1)
    assert check.verify(fresh).subject == "kc-2"
    assert issuer.jwks_fetches == 2


def test_expiry_and_not_before_allow_only_the_small_leeway(
    issuer: KeyServer, caplog: pytest.LogCaptureFixture
) -> None:
    check = verifier(issuer)  # 30 s leeway
    now = int(time.time())
    just_expired = issuer.sign({"sub": "kc-1", "exp": now - 10}, kid="rsa-1")
    assert check.verify(just_expired).subject == "kc-1"
    expired = issuer.sign({"sub": "kc-1", "exp": now - 120}, kid="rsa-1")
    assert refused(check, expired, caplog)[0] is Refusal.EXPIRED
    later = issuer.sign({"sub": "kc-1", "nbf": now + 120}, kid="ec-1")
    assert refused(check, later, caplog)[0] is Refusal.NOT_YET_VALID


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"issuer": "https://login.other-city.example"}, Refusal.WRONG_ISSUER),
        ({"audience": "another-app"}, Refusal.WRONG_AUDIENCE),
    ],
)
def test_a_token_of_another_issuer_or_for_another_app_is_refused(
    issuer: KeyServer,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, str],
    reason: Refusal,
) -> None:
    token = issuer.sign({"sub": "kc-1", "gridplus_role": "admin"}, kid="rsa-1", **change)
    assert refused(verifier(issuer), token, caplog)[0] is reason


def test_forged_algorithms_and_keys_are_refused(
    issuer: KeyServer, caplog: pytest.LogCaptureFixture
) -> None:
    check = verifier(issuer)
    now = int(time.time())
    claims = {
        "sub": "kc-1",
        "gridplus_role": "admin",
        "iss": issuer.issuer,
        "aud": AUDIENCE,
        "exp": now + 300,
    }
    none = unsigned_token({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims, b"")
    assert refused(check, none, caplog)[0] is Refusal.ALGORITHM_NOT_ALLOWED
    # The classic confusion: HS256 keyed with the provider's public key, which anyone can fetch.
    confused = unsigned_token(
        {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims, issuer.public_pem("rsa-1")
    )
    assert refused(check, confused, caplog)[0] is Refusal.ALGORITHM_NOT_ALLOWED
    # The kid of a real key, signed with the attacker's own key.
    issuer.add_rsa_key("attacker", publish=False)
    impostor = issuer.sign({"sub": "kc-1", "gridplus_role": "admin"}, kid="attacker")
    impostor = unsigned_token_with_kid(impostor, "rsa-1")
    assert refused(check, impostor, caplog)[0] is Refusal.BAD_SIGNATURE
    # An ES256 header naming the RSA key: a key is used only with its own algorithm.
    mismatched = issuer.sign({"sub": "kc-1"}, kid="ec-1")
    mismatched = unsigned_token_with_kid(mismatched, "rsa-1")
    assert refused(check, mismatched, caplog)[0] is Refusal.UNKNOWN_KEY
    assert refused(check, "a.b.c", caplog)[0] is Refusal.MALFORMED_TOKEN


def unsigned_token_with_kid(token: str, kid: str) -> str:
    """The same token and signature under a header naming another kid."""
    header, body, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    decoded["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{encoded}.{body}.{signature}"


def test_dev_tokens_are_refused_for_people_but_service_tokens_still_work(
    issuer: KeyServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = JwtSettings(
        JWT_SECRET, "gridplus", oidc=OidcSettings(issuer=issuer.issuer, audience=AUDIENCE)
    )
    check = TokenVerifier(settings)
    for role in (Role.ADMIN, Role.RESIDENT):
        dev = mint_token(settings, subject="dev-admin", role=role)
        reason, message = refused(check, dev, caplog)
        assert reason is Refusal.DEV_TOKEN
        assert "identity provider" in message
    service = check.verify(ServiceToken(settings, "dispatch").get())
    assert (service.subject, service.role) == ("dispatch", Role.SERVICE)
    # The same service token without an issuer configured: as before.
    plain = TokenVerifier(JwtSettings(JWT_SECRET, "gridplus"))
    assert plain.verify(mint_token(settings, subject="u", role=Role.ADMIN)).role is Role.ADMIN
    # Nobody gets role service from the provider, and a role it does not know is refused.
    for role_claim in ("service", "mayor"):
        token = issuer.sign({"sub": "kc-1", "gridplus_role": role_claim}, kid="rsa-1")
        assert refused(check, token, caplog)[0] is Refusal.UNKNOWN_ROLE
    # A service token signed with another secret is still a bad signature.
    forged = mint_token(
        JwtSettings("another-secret-another-secret-0123456789", "gridplus"),
        subject="dispatch",
        role=Role.SERVICE,
    )
    assert refused(check, forged, caplog)[0] is Refusal.BAD_SIGNATURE


def test_an_unreachable_provider_is_unavailable_not_a_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The caller did nothing wrong: UNAVAILABLE (503), retry later; no refusal is counted."""
    nobody = OidcSettings(issuer=f"http://127.0.0.1:{free_port()}", audience=AUDIENCE)
    check = TokenVerifier(JwtSettings(JWT_SECRET, "gridplus", oidc=nobody))
    with caplog.at_level(logging.WARNING), pytest.raises(ProviderUnavailable) as unavailable:
        check.verify("opaque-token-0123")
    assert (unavailable.value.grpc_code, unavailable.value.http_status) == ("UNAVAILABLE", 503)
    assert "call refused" not in caplog.text


def test_a_discovery_document_naming_another_issuer_is_not_used(issuer: KeyServer) -> None:
    issuer.announced_issuer = "https://login.other-city.example"
    with pytest.raises(ProviderUnavailable, match="names issuer"):
        verifier(issuer).verify(issuer.sign({"sub": "kc-1"}, kid="rsa-1"))
    assert issuer.jwks_fetches == 0


def test_keys_held_keep_working_while_the_provider_cannot_serve_new_ones(
    issuer: KeyServer, caplog: pytest.LogCaptureFixture
) -> None:
    check = verifier(issuer, refetch_seconds=1, jwks_max_age_seconds=1)
    token = issuer.sign({"sub": "kc-1"}, kid="rsa-1")
    assert check.verify(token).subject == "kc-1"
    issuer.jwks_down = True
    time.sleep(1.1)  # the keys are due for a refetch, which fails
    with caplog.at_level(logging.WARNING):
        assert check.verify(token).subject == "kc-1"
        assert check.verify(token).subject == "kc-1"
    assert "keeping the old ones" in caplog.text
    assert issuer.jwks_fetches == 2  # the failed refetch is not retried on every call


def test_an_issuer_announced_with_a_trailing_slash_is_matched_as_announced(
    issuer: KeyServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Some providers' issuer ends with "/"; the setting may be written without it."""
    issuer.announced_issuer = issuer.issuer + "/"
    check = verifier(issuer)
    with_slash = issuer.sign({"sub": "kc-1"}, kid="rsa-1", issuer=issuer.issuer + "/")
    assert check.verify(with_slash).subject == "kc-1"
    without = issuer.sign({"sub": "kc-1"}, kid="rsa-1")
    assert refused(check, without, caplog)[0] is Refusal.WRONG_ISSUER


def test_many_calls_with_a_new_key_at_once_refetch_the_jwks_once(issuer: KeyServer) -> None:
    check = verifier(issuer)
    assert check.verify(issuer.sign({"sub": "kc-1"}, kid="rsa-1")).subject == "kc-1"
    issuer.add_rsa_key("rsa-2")
    tokens = [issuer.sign({"sub": f"kc-{n}"}, kid="rsa-2") for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        subjects = list(pool.map(lambda token: check.verify(token).subject, tokens))
    assert subjects == [f"kc-{n}" for n in range(8)]
    assert issuer.jwks_fetches == 2
