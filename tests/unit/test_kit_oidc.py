"""kit.oidc without a network: the settings a deployment gives (and the mistakes it is told
about), and how a provider's claims become a Grid+ principal."""

from __future__ import annotations

import pytest

from gridplus.kit.config import ConfigError, Env, JwtSettings, OidcSettings
from gridplus.kit.oidc import jwt_header, principal_from_claims
from gridplus.kit.refusals import Refusal, TokenRefused
from gridplus.kit.roles import Role

SECRET = "unit-secret-unit-secret-unit-secret-0123"
SETTINGS = OidcSettings(issuer="https://login.city.example", audience="gridplus-api")


def test_no_issuer_means_no_oidc() -> None:
    assert JwtSettings.from_env(Env({"GRIDPLUS_JWT_SECRET": SECRET})).oidc is None


def test_an_issuer_reads_the_audience_and_claim_names() -> None:
    settings = JwtSettings.from_env(
        Env(
            {
                "GRIDPLUS_JWT_SECRET": SECRET,
                "GRIDPLUS_OIDC_ISSUER": "https://login.city.example/realms/grid/",
                "GRIDPLUS_OIDC_AUDIENCE": "gridplus-api",
                "GRIDPLUS_OIDC_ROLE_CLAIM": "grid_role",
            }
        )
    ).oidc
    assert settings is not None
    assert settings.issuer == "https://login.city.example/realms/grid"  # trailing / dropped
    assert (settings.audience, settings.role_claim, settings.grids_claim) == (
        "gridplus-api",
        "grid_role",
        "gridplus_grids",
    )
    assert (settings.leeway_seconds, settings.cache_seconds, settings.jwks_refetch_seconds) == (
        30,
        60,
        30,
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"GRIDPLUS_OIDC_ISSUER": "https://login.city.example"}, "GRIDPLUS_OIDC_AUDIENCE"),
        (
            {"GRIDPLUS_OIDC_ISSUER": "http://login.city.example", "GRIDPLUS_OIDC_AUDIENCE": "a"},
            "must use https",
        ),
        ({"GRIDPLUS_OIDC_ISSUER": "login.city.example", "GRIDPLUS_OIDC_AUDIENCE": "a"}, "https"),
        (
            {
                "GRIDPLUS_OIDC_ISSUER": "https://login.city.example",
                "GRIDPLUS_OIDC_AUDIENCE": "a",
                "GRIDPLUS_OIDC_LEEWAY_SECONDS": "3600",
            },
            "GRIDPLUS_OIDC_LEEWAY_SECONDS",
        ),
    ],
)
def test_a_bad_setting_stops_the_start_naming_it(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        OidcSettings.from_env(Env(environ))


def test_http_is_allowed_on_loopback_only() -> None:
    settings = OidcSettings.from_env(
        Env({"GRIDPLUS_OIDC_ISSUER": "http://127.0.0.1:9400", "GRIDPLUS_OIDC_AUDIENCE": "a"})
    )
    assert settings is not None and settings.issuer == "http://127.0.0.1:9400"


def test_claims_map_to_a_principal() -> None:
    staff = principal_from_claims(
        {"sub": "kc-1", "gridplus_role": "department_head", "gridplus_department": "DSNY"},
        SETTINGS,
    )
    assert (staff.role, staff.department, staff.grid_codes) == (Role.DEPARTMENT_HEAD, "DSNY", ())
    worker = principal_from_claims(
        {"sub": "kc-2", "gridplus_role": "grid_worker", "gridplus_grids": "MN05, MN0502"},
        SETTINGS,
    )
    assert worker.grid_codes == ("MN05", "MN0502")
    assert principal_from_claims({"sub": "kc-3", "gridplus_role": ""}, SETTINGS).role is (
        Role.RESIDENT
    )


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"gridplus_role": "admin"}, Refusal.MISSING_CLAIM),
        ({"sub": "kc-1", "gridplus_role": "service"}, Refusal.UNKNOWN_ROLE),
        ({"sub": "kc-1", "gridplus_role": "Admin"}, Refusal.UNKNOWN_ROLE),
        ({"sub": "kc-1", "gridplus_role": ["admin"]}, Refusal.UNKNOWN_ROLE),
    ],
)
def test_claims_that_name_no_person_are_refused(claims: dict[str, object], reason: Refusal) -> None:
    with pytest.raises(TokenRefused) as refused:
        principal_from_claims(claims, SETTINGS)
    assert refused.value.reason is reason


def test_only_three_part_tokens_are_read_as_jwts() -> None:
    assert jwt_header("opaque-token") is None
    assert jwt_header("eyJhbGciOiJSUzI1NiJ9.e30.sig") == {"alg": "RS256"}
    for broken in ("!!!.e30.sig", "WyJhIl0.e30.sig"):  # not base64 / a list, not an object
        with pytest.raises(TokenRefused) as refused:
            jwt_header(broken)
        assert refused.value.reason is Refusal.MALFORMED_TOKEN
