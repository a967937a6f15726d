"""The console's settings, read once at start (GRIDPLUS_CONSOLE_*; service addresses the way the
services' clients read them, GRIDPLUS_<SVC>_ADDR)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from gridplus.kit.config import ConfigError, Env, JwtSettings, service_address
from gridplus.kit.roles import Role
from gridplus.kit.topology import SERVICES

CONSOLE_HTTP_PORT = 8081


@dataclass(frozen=True)
class DevPerson:
    """A demo person the dev sign-in may act as (tools/stack.py passes its DEV_SUBJECTS)."""

    role: Role
    subject: str
    grid_codes: tuple[str, ...] = ()
    department: str | None = None


@dataclass(frozen=True)
class ConsoleSettings:
    http_port: int
    addresses: Mapping[str, str]  # service package -> GRIDPLUS_<SVC>_ADDR
    session_secret: str = field(repr=False)
    dev_login: bool
    tile_url: str | None  # a tile URL template ({z}/{x}/{y}); None: grid polygons only
    # Verifies sign-ins: the deployment's HS256 tokens and, with GRIDPLUS_OIDC_ISSUER, the city
    # provider's access tokens (kit.auth.TokenVerifier); jwt.oidc also drives the console's login.
    jwt: JwtSettings = field(repr=False)
    oidc_client_id: str = "gridplus-console"
    # Where the provider sends the browser back, when the console's own URL as the request shows
    # it is not the public one (e.g. behind a proxy that rewrites Host).
    public_url: str | None = None
    dev_people: tuple[DevPerson, ...] = ()
    log_level: str = "INFO"
    grace_seconds: float = 10.0
    # Petition's photo limits (the same variables petition reads), shown and checked in the page
    # before an upload; petition checks them again.
    photo_max_count: int = 9
    photo_max_bytes: int = 10 * 1024 * 1024

    @classmethod
    def from_env(cls, env: Env | None = None) -> ConsoleSettings:
        env = env or Env()
        dev_login = env.flag("GRIDPLUS_CONSOLE_DEV_LOGIN", False)
        jwt = JwtSettings.from_env(env)
        if dev_login and jwt.oidc is not None:
            raise ConfigError(
                "GRIDPLUS_CONSOLE_DEV_LOGIN cannot be on with GRIDPLUS_OIDC_ISSUER: the services"
                " then accept the provider's tokens only"
            )
        public_url = env.optional("GRIDPLUS_CONSOLE_PUBLIC_URL")
        secret = env.optional("GRIDPLUS_CONSOLE_SESSION_SECRET")
        if secret is None:
            if not dev_login:
                raise ConfigError(
                    "GRIDPLUS_CONSOLE_SESSION_SECRET is required (it signs the session cookie)"
                )
            # Development only: sessions end when the process restarts.
            secret = secrets.token_urlsafe(48)
        if len(secret) < 32:
            raise ConfigError("GRIDPLUS_CONSOLE_SESSION_SECRET must be at least 32 characters")
        return cls(
            http_port=env.port("GRIDPLUS_CONSOLE_HTTP_PORT", CONSOLE_HTTP_PORT),
            addresses={package: service_address(package, env) for package in SERVICES},
            session_secret=secret,
            dev_login=dev_login,
            tile_url=_tile_url(env.optional("GRIDPLUS_CONSOLE_TILE_URL")),
            jwt=jwt,
            oidc_client_id=(jwt.oidc.client_id if jwt.oidc else None) or "gridplus-console",
            public_url=public_url.rstrip("/") if public_url else None,
            dev_people=_dev_people(env.optional("GRIDPLUS_CONSOLE_DEV_PEOPLE")),
            log_level=env.choice(
                "GRIDPLUS_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            grace_seconds=env.number("GRIDPLUS_SHUTDOWN_GRACE_SECONDS", 10.0, minimum=1.0),
            photo_max_count=env.integer("GRIDPLUS_PETITION_PHOTO_MAX_COUNT", 9, minimum=0),
            photo_max_bytes=env.integer(
                "GRIDPLUS_PETITION_PHOTO_MAX_BYTES", 10 * 1024 * 1024, minimum=1024
            ),
        )


def _tile_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.netloc or "{z}" not in raw:
        raise ConfigError(
            "GRIDPLUS_CONSOLE_TILE_URL must be an http(s) URL template with {z}, {x} and {y},"
            f" got {raw!r}"
        )
    return raw


def tile_origin(tile_url: str | None) -> str | None:
    """scheme://host[:port] of the tile server (the page's CSP allows its images), {s} as *."""
    if tile_url is None:
        return None
    parts = urlsplit(tile_url)
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def _dev_people(raw: str | None) -> tuple[DevPerson, ...]:
    """GRIDPLUS_CONSOLE_DEV_PEOPLE: {"grid_worker": {"subject": "w-1", "grids": ["MN0502"],
    "department": null}, ...}."""
    if raw is None:
        return ()
    try:
        people = json.loads(raw)
        return tuple(
            DevPerson(
                role=Role(role),
                subject=str(person["subject"]),
                grid_codes=tuple(str(code) for code in person.get("grids", ())),
                department=person.get("department") or None,
            )
            for role, person in people.items()
            if role != Role.SERVICE.value
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"GRIDPLUS_CONSOLE_DEV_PEOPLE is not valid: {exc}") from None
