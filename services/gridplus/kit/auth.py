"""Bearer JWTs: roles from DESIGN.md, verification, minting (dev credentials, service calls)."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import jwt

from gridplus.kit.config import JwtSettings
from gridplus.kit.errors import PermissionDenied, Unauthenticated

ALGORITHM = "HS256"


class Role(StrEnum):
    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    GRID_CHIEF = "grid_chief"
    DEPARTMENT_STAFF = "department_staff"
    DEPARTMENT_HEAD = "department_head"
    INSPECTOR = "inspector"
    ADMIN = "admin"
    SERVICE = "service"  # another Grid+ service calling on its own behalf


ALL_ROLES = frozenset(Role)
STAFF_ROLES = frozenset(ALL_ROLES - {Role.RESIDENT})


@dataclass(frozen=True)
class Principal:
    """Who is calling: subject id, role, and the scope claims the role carries."""

    subject: str
    role: Role
    grid_codes: tuple[str, ...] = ()  # workers and chiefs: the grid subtrees they belong to
    department: str | None = None  # department staff and heads
    claims: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)


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
    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._settings.secret,
                algorithms=[ALGORITHM],
                issuer=self._settings.issuer,
                options={"require": ["sub", "role", "exp", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        try:
            role = Role(claims["role"])
        except ValueError:
            raise Unauthenticated(f"unknown role {claims['role']!r}") from None
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            grid_codes=tuple(claims.get("grids", ())),
            department=claims.get("department"),
            claims=claims,
        )

    def verify_authorization(self, header: str | None) -> Principal:
        """Verify an `Authorization: Bearer <jwt>` header value."""
        if not header:
            raise Unauthenticated("missing bearer token")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("authorization must be 'Bearer <token>'")
        return self.verify(token.strip())


def mint_token(
    settings: JwtSettings,
    *,
    subject: str,
    role: Role,
    ttl_seconds: int = 3600,
    grid_codes: tuple[str, ...] = (),
    department: str | None = None,
) -> str:
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
