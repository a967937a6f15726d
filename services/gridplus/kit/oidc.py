"""Access tokens of a city's OpenID Connect provider (GRIDPLUS_OIDC_ISSUER), for kit.auth.

Two kinds, because providers differ:
- JWT access tokens, signed RS256 or ES256 with a key of the provider's JWKS (from the discovery
  document's `jwks_uri`). The JWKS is cached; a token with an unknown `kid` refetches it at most
  once per `jwks_refetch_seconds` (key rotation is picked up, forged kids do not hammer the
  provider) and it is refetched after `jwks_max_age_seconds` anyway (a dropped key stops
  working). `iss`, `aud`, `exp` and `nbf` are checked with `leeway_seconds` of slack. Only
  RS256/ES256 are accepted, and only with a key of the matching type: `alg: none` and HS256
  "signed" with the public key are refused.
- Opaque access tokens (anything that is not a JWT), asked about at the provider: its token
  introspection endpoint (RFC 7662) when the discovery document has one and a client secret is
  configured, else its userinfo endpoint. Answers are cached `cache_seconds`, keyed by a SHA-256
  of the token; the token itself is never logged or kept.

Claims map to a Principal (README "Sign-in with a city's identity provider"): the role claim
(`gridplus_role` by default) names a Grid+ role, missing means resident; grid codes
(`gridplus_grids`: a list or a space/comma separated string) and department
(`gridplus_department`). Role `service` is never taken from the provider: only Grid+'s own
services hold it, with the deployment's HS256 tokens (kit.auth).

The discovery document and keys: kit/oidc_provider.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from gridplus.kit.config import OidcSettings
from gridplus.kit.oidc_provider import (
    KEY_TYPES,
    Fetch,
    Provider,
    ProviderUnavailable,
    http_fetch,
    json_object,
)
from gridplus.kit.refusals import Refusal, TokenRefused
from gridplus.kit.roles import Principal, Role

MAX_OPAQUE_TOKEN_LENGTH = 4096
# RFC 6750's b64token: what a bearer token may contain. Anything else is not sent to the provider.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Opaque-token answers held at most (a prober's made-up tokens must not fill the memory).
MAX_CACHED_ANSWERS = 10_000


class AnswerCache:
    """Opaque-token answers (claims, or the refusal), by a hash of the token, for a while."""

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self._seconds = seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, dict[str, Any] | TokenRefused]] = OrderedDict()

    def get(
        self, token: str, load: Callable[[], dict[str, Any] | TokenRefused]
    ) -> dict[str, Any] | TokenRefused:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] > now:
                return found[1]
        answer = load()
        with self._lock:
            self._entries[key] = (now + self._seconds, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_CACHED_ANSWERS:
                self._entries.popitem(last=False)
        return answer


class OidcTokens:
    """Verifies one access token of the configured provider and maps it to a Principal."""

    def __init__(
        self,
        settings: OidcSettings,
        *,
        fetch: Fetch = http_fetch,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._fetch = fetch
        self.provider = Provider(settings, fetch, monotonic)
        self._answers = AnswerCache(settings.cache_seconds, monotonic)

    def principal(self, token: str, header: Mapping[str, Any] | None) -> Principal:
        """`header` is the token's JWT header, None for an opaque token."""
        claims = self._opaque(token) if header is None else self._jwt(token, header)
        return principal_from_claims(claims, self._settings)

    def _jwt(self, token: str, header: Mapping[str, Any]) -> dict[str, Any]:
        algorithm = header.get("alg")
        if algorithm not in KEY_TYPES:
            raise TokenRefused(
                Refusal.ALGORITHM_NOT_ALLOWED,
                f"tokens of {self._settings.issuer} must be signed with RS256 or ES256, "
                f"not {algorithm!r}",
            )
        kid = header.get("kid")
        key = self.provider.key(kid if isinstance(kid, str) else None, str(algorithm))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[str(algorithm)],
                audience=self._settings.audience,
                # Exactly what the provider announces (some end it with "/", which the
                # setting may leave out).
                issuer=self.provider.issuer(),
                leeway=self._settings.leeway_seconds,
                options={"require": ["sub", "exp", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenRefused(jwt_refusal(exc), f"invalid token: {exc}") from None
        return claims

    def _opaque(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_OPAQUE_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
            raise TokenRefused(Refusal.MALFORMED_TOKEN, "the bearer token is not a token")
        answer = self._answers.get(token, lambda: self._ask_provider(token))
        if isinstance(answer, TokenRefused):
            raise TokenRefused(answer.reason, str(answer), answer.subject)
        return answer

    def _ask_provider(self, token: str) -> dict[str, Any] | TokenRefused:
        introspection = self.provider.endpoint("introspection_endpoint")
        if introspection is not None and self._settings.client_secret is not None:
            return self._introspect(introspection, token)
        userinfo = self.provider.endpoint("userinfo_endpoint")
        if userinfo is None:
            raise ProviderUnavailable(
                "the provider's discovery document has neither userinfo_endpoint nor (with "
                "GRIDPLUS_OIDC_CLIENT_SECRET) introspection_endpoint"
            )
        answer = self._fetch(userinfo, None, {"Authorization": f"Bearer {token}"})
        if answer.status in (400, 401, 403):
            # RFC 6750: invalid_token is 401; some providers (oidc-provider-mock) answer 400.
            return TokenRefused(
                Refusal.INACTIVE, "the identity provider does not accept this token"
            )
        claims = json_object(answer, userinfo)
        if not claims.get("sub"):
            return TokenRefused(Refusal.MISSING_CLAIM, "userinfo answered no sub")
        return claims

    def _introspect(self, url: str, token: str) -> dict[str, Any] | TokenRefused:
        client = f"{self._settings.client_id or self._settings.audience}:"
        credentials = base64.b64encode(
            (client + str(self._settings.client_secret)).encode()
        ).decode()
        answer = self._fetch(
            url,
            {"token": token, "token_type_hint": "access_token"},
            {"Authorization": f"Basic {credentials}", "Accept": "application/json"},
        )
        claims = json_object(answer, url)
        if claims.get("active") is not True:
            return TokenRefused(
                Refusal.INACTIVE, "the identity provider says the token is inactive"
            )
        if "iss" in claims and str(claims["iss"]).rstrip("/") != self._settings.issuer:
            return TokenRefused(Refusal.WRONG_ISSUER, "token of another issuer")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if audience is not None and self._settings.audience not in audiences:
            return TokenRefused(Refusal.WRONG_AUDIENCE, "token issued for another audience")
        if not claims.get("sub"):
            return TokenRefused(Refusal.MISSING_CLAIM, "introspection answered no sub")
        return claims


def jwt_refusal(exc: jwt.InvalidTokenError) -> Refusal:
    for kind, reason in _JWT_REFUSALS:
        if isinstance(exc, kind):
            return reason
    return Refusal.INVALID


_JWT_REFUSALS: tuple[tuple[type[jwt.InvalidTokenError], Refusal], ...] = (
    (jwt.ExpiredSignatureError, Refusal.EXPIRED),
    (jwt.ImmatureSignatureError, Refusal.NOT_YET_VALID),
    (jwt.InvalidSignatureError, Refusal.BAD_SIGNATURE),
    (jwt.InvalidIssuerError, Refusal.WRONG_ISSUER),
    (jwt.InvalidAudienceError, Refusal.WRONG_AUDIENCE),
    (jwt.InvalidAlgorithmError, Refusal.ALGORITHM_NOT_ALLOWED),
    (jwt.MissingRequiredClaimError, Refusal.MISSING_CLAIM),
    (jwt.DecodeError, Refusal.MALFORMED_TOKEN),
)


def jwt_header(token: str) -> dict[str, Any] | None:
    """The header of a JWT-shaped token (three dot-separated parts), None for anything else."""
    if token.count(".") != 2:
        return None
    encoded = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        raise TokenRefused(
            Refusal.MALFORMED_TOKEN, "the token's JWT header is unreadable"
        ) from None
    if not isinstance(header, dict):
        raise TokenRefused(Refusal.MALFORMED_TOKEN, "the token's JWT header is not an object")
    return header


def principal_from_claims(claims: Mapping[str, Any], settings: OidcSettings) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenRefused(Refusal.MISSING_CLAIM, "the token has no subject (sub)")
    role = _role(claims.get(settings.role_claim), settings.role_claim, subject)
    raw_grids = claims.get(settings.grids_claim)
    if isinstance(raw_grids, str):
        grids = tuple(code for code in raw_grids.replace(",", " ").split() if code)
    elif isinstance(raw_grids, list):
        grids = tuple(str(code) for code in raw_grids if str(code))
    else:
        grids = ()
    department = claims.get(settings.department_claim)
    return Principal(
        subject=subject,
        role=role,
        grid_codes=grids,
        department=str(department) if department else None,
        claims=dict(claims),
    )


def _role(raw: object, claim: str, subject: str) -> Role:
    if raw is None or raw == "":
        return Role.RESIDENT  # the provider's ordinary users: residents
    try:
        role = Role(raw) if isinstance(raw, str) else None
    except ValueError:
        role = None
    if role is None or role is Role.SERVICE:
        raise TokenRefused(
            Refusal.UNKNOWN_ROLE,
            f"claim {claim} names no Grid+ role a person can hold: {raw!r}",
            subject,
        )
    return role
