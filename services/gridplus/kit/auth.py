"""Bearer JWTs: roles from DESIGN.md, verification, minting (dev credentials, service calls)."""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import jwt

from gridplus.kit.config import JwtSettings
from gridplus.kit.errors import PermissionDenied, Unauthenticated

# Re-exported: most callers import roles with the verifier; pure code imports kit.roles.
from gridplus.kit.roles import ALL_ROLES as ALL_ROLES
from gridplus.kit.roles import STAFF_ROLES as STAFF_ROLES
from gridplus.kit.roles import Principal as Principal
from gridplus.kit.roles import Role as Role

ALGORITHM = "HS256"

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


class Refusal(StrEnum):
    """Why a caller was turned away: a small fixed set, so logs and metrics can count them."""

    MISSING = "missing"
    MALFORMED_HEADER = "malformed_header"
    MALFORMED_TOKEN = "malformed_token"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ISSUER = "wrong_issuer"
    MISSING_CLAIM = "missing_claim"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    UNKNOWN_ROLE = "unknown_role"
    INVALID = "invalid"
    ROLE_NOT_ALLOWED = "role_not_allowed"  # authenticated, but the role may not call this


class TokenRefused(Unauthenticated):
    """UNAUTHENTICATED with the reason, and the subject when the signature proved it."""

    def __init__(self, reason: Refusal, message: str, subject: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.subject = subject


@dataclass(frozen=True)
class RequestOrigin:
    """Where a call came from, for the refusal log: "grpc" or "http", the method or route, the
    peer address. Never the token or anything a caller wrote."""

    channel: str
    target: str
    peer: str


# (channel, reason) -> None. The metrics side registers one (kit.interceptors); this module stays
# free of exporters, since every domain module that imports Principal would reach them.
RefusalCounter = Callable[[str, Refusal], None]
_counters: list[RefusalCounter] = []


def count_refusals_with(counter: RefusalCounter) -> None:
    if counter not in _counters:
        _counters.append(counter)


def record_refusal(
    reason: Refusal, origin: RequestOrigin | None, subject: str | None = None
) -> None:
    """One WARNING line and a counter per refused call, so an operator sees probing.

    The subject is logged only when the token's signature was valid (an expired or over-long
    token of a real account): it is an id, not personal data. A forged token's claims are the
    prober's own words and are not repeated.
    """
    where = origin or _http_origin() or RequestOrigin("unknown", "", "")
    for counter in _counters:
        counter(where.channel, reason)
    fields: dict[str, object] = {
        "reason": reason.value,
        "channel": where.channel,
        "target": where.target,
        "peer": where.peer,
    }
    if subject is not None:
        fields["subject"] = subject
    log.warning("call refused", extra=fields)


def _http_origin() -> RequestOrigin | None:
    """The Flask request being handled, if any: the HTTP app calls verify_authorization without
    saying where from. Flask is looked up, not imported: importing the kit (as every domain
    module does for Principal) must not load an HTTP framework; only a process that already
    serves Flask has a request to describe."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_request_context():
        return None
    request = flask.request
    route = request.url_rule.rule if request.url_rule is not None else request.path
    return RequestOrigin("http", f"{request.method} {route}", str(request.remote_addr or ""))


_JWT_REFUSALS: tuple[tuple[type[jwt.InvalidTokenError], Refusal], ...] = (
    (jwt.ExpiredSignatureError, Refusal.EXPIRED),
    (jwt.ImmatureSignatureError, Refusal.NOT_YET_VALID),
    (jwt.InvalidSignatureError, Refusal.BAD_SIGNATURE),
    (jwt.InvalidIssuerError, Refusal.WRONG_ISSUER),
    (jwt.MissingRequiredClaimError, Refusal.MISSING_CLAIM),
    (jwt.DecodeError, Refusal.MALFORMED_TOKEN),
)


class TokenVerifier:
    """Verifies HS256 tokens of this deployment; every refusal is logged (see record_refusal).

    A token may be valid for at most `max_ttl_seconds` (exp - iat, or exp - now without iat).
    Tokens of an external identity provider (OIDC) will follow that provider's own rule.
    """

    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings

    def verify(self, token: str, *, origin: RequestOrigin | None = None) -> Principal:
        try:
            return self._principal(self._claims(token))
        except TokenRefused as refused:
            record_refusal(refused.reason, origin, refused.subject)
            raise

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
            reason = next((r for kind, r in _JWT_REFUSALS if isinstance(exc, kind)), None)
            raise TokenRefused(reason or Refusal.INVALID, f"invalid token: {exc}") from None
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
