"""Bearer tokens: roles from DESIGN.md, verification, minting (dev credentials, service calls).

Two kinds of token reach the services:
- the deployment's own HS256 JWTs (GRIDPLUS_JWT_SECRET, issuer GRIDPLUS_JWT_ISSUER): what
  services mint for each other (ServiceToken, role `service`) and `make run`'s dev tokens;
- with GRIDPLUS_OIDC_ISSUER set, the access tokens of the city's identity provider (kit/oidc.py).
  Then an HS256 token is accepted only for role `service` (the deployment's secret never leaves
  its workloads, and people sign in at the provider); every other role must come from there.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import jwt

from gridplus.kit.config import JwtSettings
from gridplus.kit.errors import PermissionDenied, Unauthenticated
from gridplus.kit.oidc import OidcTokens, jwt_header, jwt_refusal

# Re-exported: callers import refusals and roles with the verifier; pure code imports kit.roles.
from gridplus.kit.refusals import Refusal as Refusal
from gridplus.kit.refusals import RefusalCounter as RefusalCounter
from gridplus.kit.refusals import RequestOrigin as RequestOrigin
from gridplus.kit.refusals import TokenRefused as TokenRefused
from gridplus.kit.refusals import count_refusals_with as count_refusals_with
from gridplus.kit.refusals import record_refusal as record_refusal
from gridplus.kit.roles import ALL_ROLES as ALL_ROLES
from gridplus.kit.roles import STAFF_ROLES as STAFF_ROLES
from gridplus.kit.roles import Principal as Principal
from gridplus.kit.roles import Role as Role

ALGORITHM = "HS256"
# Verified deployment tokens held per verifier: services call with a few long-lived tokens
# (ServiceToken renews every ~14 min), people with one each; beyond this the least recently used
# is verified again when it comes back.
VERIFIED_TOKENS = 1024

log = logging.getLogger(__name__)


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "gridplus_principal", default=None
)


def current_principal() -> Principal:
    principal = _current.get()
    if principal is None:
        raise Unauthenticated("no authenticated caller")
    return principal


def bind_principal(principal: Principal | None) -> contextvars.Token[Principal | None]:
    return _current.set(principal)


def reset_principal(token: contextvars.Token[Principal | None]) -> None:
    _current.reset(token)


class TokenVerifier:
    """Verifies the tokens a service accepts; every refusal is logged (see record_refusal).

    Without `settings.oidc`: the deployment's HS256 tokens, of any role (`make run`, tests).
    With it: the provider's access tokens (kit/oidc.py), and HS256 tokens of role `service`.

    An HS256 token may be valid for at most `max_ttl_seconds` (exp - iat, or exp - now without
    iat). The provider's tokens follow the provider's own rule.
    """

    def __init__(self, settings: JwtSettings, *, oidc: OidcTokens | None = None) -> None:
        self._settings = settings
        self._verified = VerifiedTokens()
        self._oidc = oidc or (OidcTokens(settings.oidc) if settings.oidc is not None else None)
        if settings.oidc is not None:
            log.info(
                "accepting the access tokens of the city's identity provider; deployment "
                "tokens for role service only",
                extra={"issuer": settings.oidc.issuer, "audience": settings.oidc.audience},
            )

    def verify(self, token: str, *, origin: RequestOrigin | None = None) -> Principal:
        try:
            return self._authenticate(token)
        except TokenRefused as refused:
            record_refusal(refused.reason, origin, refused.subject)
            raise

    def _authenticate(self, token: str) -> Principal:
        held = self._verified.get(token)
        if held is not None:
            return held
        if self._oidc is None:
            return self._deployment_principal(token)
        header = jwt_header(token)
        if header is not None and self._is_deployment_token(token, header):
            return self._deployment_principal(token)
        return self._oidc.principal(token, header)

    def _deployment_principal(self, token: str) -> Principal:
        """An HS256 token of this deployment, checked in full and then held until it would stop
        passing (VerifiedTokens); refusals are never held, so each is checked and logged."""
        claims = self._claims(token)
        principal = self._principal(claims)
        if self._oidc is not None and principal.role is not Role.SERVICE:
            raise TokenRefused(
                Refusal.DEV_TOKEN,
                "this deployment signs in with the city's identity provider: dev tokens "
                "(GRIDPLUS_JWT_SECRET) are accepted for Grid+'s own services only",
                principal.subject,
            )
        self._verified.put(token, principal, self._valid_from(claims), _seconds(claims["exp"]))
        return principal

    def _valid_from(self, claims: Mapping[str, object]) -> int:
        """The earliest time the token passes _claims: not before iat or nbf (PyJWT refuses
        them in the future), and without iat not before exp - max_ttl (_check_lifetime)."""
        starts = [_seconds(claims[name]) for name in ("iat", "nbf") if name in claims]
        if "iat" not in claims:
            starts.append(_seconds(claims["exp"]) - self._settings.max_ttl_seconds)
        return max(starts)

    def _is_deployment_token(self, token: str, header: Mapping[str, Any]) -> bool:
        """HS256 and naming this deployment's issuer: checked with the deployment's secret.
        Anything else is the provider's to check (where HS256 is refused)."""
        if header.get("alg") != ALGORITHM:
            return False
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return False
        return isinstance(unverified, dict) and unverified.get("iss") == self._settings.issuer

    def already_verified(self, header: str | None) -> Principal | None:
        """The principal of a `Bearer <token>` header whose token was verified in full and still
        passes (VerifiedTokens), found without building the call's RequestOrigin (a gRPC peer
        lookup costs ~30 µs); None otherwise: then verify_authorization checks and logs."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return self._verified.get(token.strip())

    def verify_authorization(
        self, header: str | None, *, origin: RequestOrigin | None = None
    ) -> Principal:
        """Verify an `Authorization: Bearer <jwt>` header value."""
        if not header:
            record_refusal(Refusal.MISSING, origin)
            raise TokenRefused(Refusal.MISSING, "missing bearer token")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            record_refusal(Refusal.MALFORMED_HEADER, origin)
            raise TokenRefused(Refusal.MALFORMED_HEADER, "authorization must be 'Bearer <token>'")
        return self.verify(token.strip(), origin=origin)

    def _claims(self, token: str) -> dict[str, object]:
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                self._settings.secret,
                algorithms=[ALGORITHM],
                issuer=self._settings.issuer,
                options={"require": ["sub", "role", "exp", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused(Refusal.EXPIRED, "token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRefused(jwt_refusal(exc), f"invalid token: {exc}") from None
        self._check_lifetime(claims)
        return claims

    def _check_lifetime(self, claims: Mapping[str, object]) -> None:
        # PyJWT has checked that exp (and iat, when present) are integers not in the future.
        expires = int(str(claims["exp"]))
        issued = int(str(claims["iat"])) if "iat" in claims else int(time.time())
        lifetime = expires - issued
        limit = self._settings.max_ttl_seconds
        if lifetime > limit:
            raise TokenRefused(
                Refusal.LIFETIME_TOO_LONG,
                f"token is valid for {lifetime} s, longer than the {limit} s this deployment "
                "accepts; ask for a shorter-lived token",
                subject=str(claims["sub"]),
            )

    @staticmethod
    def _principal(claims: Mapping[str, object]) -> Principal:
        try:
            role = Role(str(claims["role"]))
        except ValueError:
            raise TokenRefused(
                Refusal.UNKNOWN_ROLE, f"unknown role {claims['role']!r}", str(claims["sub"])
            ) from None
        grids = claims.get("grids", ())
        department = claims.get("department")
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            grid_codes=tuple(str(code) for code in grids) if isinstance(grids, list) else (),
            department=str(department) if department else None,
            claims=claims,
        )


def _seconds(value: object) -> int:
    """A time claim PyJWT has accepted, read as PyJWT reads it (int() of a number or text)."""
    return int(value) if isinstance(value, int | float) else int(str(value))


class VerifiedTokens:
    """HS256 tokens that passed verification, by their SHA-256 (the token itself is not kept),
    with the times they keep passing: from `valid_from` until `expires` (PyJWT refuses at exp).

    Holding one answers exactly what verifying it again would: a deployment token's verdict
    depends only on its bytes, the verifier's fixed settings (secret, issuer, maximum lifetime)
    and the time, and the time is checked on every use. There is no revocation of these tokens
    to miss (they are valid until exp; a changed secret means a restart, which empties this).
    The provider's tokens are not held here (kit/oidc.py caches what it may)."""

    def __init__(self, size: int = VERIFIED_TOKENS) -> None:
        self._size = size
        self._held: OrderedDict[bytes, tuple[Principal, int, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        key = hashlib.sha256(token.encode()).digest()
        now = time.time()
        with self._lock:
            held = self._held.get(key)
            if held is None:
                return None
            principal, valid_from, expires = held
            if not valid_from <= now < expires:
                # Expired (or the clock stepped back): checked in full, refused and logged there.
                del self._held[key]
                return None
            self._held.move_to_end(key)
            return principal

    def put(self, token: str, principal: Principal, valid_from: int, expires: int) -> None:
        key = hashlib.sha256(token.encode()).digest()
        with self._lock:
            self._held[key] = (principal, valid_from, expires)
            self._held.move_to_end(key)
            while len(self._held) > self._size:
                self._held.popitem(last=False)

    def __len__(self) -> int:
        return len(self._held)


def mint_token(
    settings: JwtSettings,
    *,
    subject: str,
    role: Role,
    ttl_seconds: int = 3600,
    grid_codes: tuple[str, ...] = (),
    department: str | None = None,
) -> str:
    if ttl_seconds > settings.max_ttl_seconds:
        # The kit never mints what its own verifier would refuse.
        raise ValueError(
            f"ttl_seconds {ttl_seconds} exceeds the {settings.max_ttl_seconds} s token maximum"
        )
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": subject,
        "role": role.value,
        "iss": settings.issuer,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if grid_codes:
        claims["grids"] = list(grid_codes)
    if department:
        claims["department"] = department
    return jwt.encode(claims, settings.secret, algorithm=ALGORITHM)


class ServiceToken:
    """A service's own token for calls to other services, renewed before it expires."""

    def __init__(self, settings: JwtSettings, service_name: str, ttl_seconds: int = 900) -> None:
        self._settings = settings
        self._service = service_name
        self._ttl = ttl_seconds
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            if time.time() > self._expires - 60:
                self._token = mint_token(
                    self._settings, subject=self._service, role=Role.SERVICE, ttl_seconds=self._ttl
                )
                self._expires = time.time() + self._ttl
            return self._token


def require_role(principal: Principal, allowed: frozenset[Role]) -> None:
    if principal.role not in allowed:
        raise PermissionDenied(f"role {principal.role.value} may not do this")
