"""Configuration from environment variables, read once at start-up.

Every value is checked when the process starts; a bad or missing value stops it with a
message naming the variable, instead of failing later in the middle of a request.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gridplus.kit.topology import SERVICES, ServiceSpec


class ConfigError(Exception):
    """A configuration variable is missing or malformed; the message names it."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    """Typed reads from an environment mapping (os.environ by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def text(self, name: str, default: str | None = None) -> str:
        value = self._environ.get(name)
        if value is None or value == "":
            if default is None:
                raise ConfigError(f"{name} is required but not set")
            return default
        return value

    def optional(self, name: str) -> str | None:
        value = self._environ.get(name)
        return value if value else None

    def integer(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        raw = self.text(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum}, got {value}")
        return value

    def number(self, name: str, default: float, *, minimum: float | None = None) -> float:
        raw = self.text(name, str(default))
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name, "true" if default else "false").lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def port(self, name: str, default: int) -> int:
        return self.integer(name, default, minimum=1, maximum=65535)

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str
    security_protocol: str
    sasl_mechanism: str | None
    sasl_username: str | None
    sasl_password: str | None
    ssl_cafile: str | None
    topic_partitions: int
    replication_factor: int
    # Static group membership: a consumer restarted under the same id takes its partitions back
    # at once instead of waiting for the group to notice the old one died.
    group_instance_id: str | None = None

    @classmethod
    def from_env(cls, env: Env) -> KafkaSettings:
        protocol = env.choice(
            "GRIDPLUS_KAFKA_SECURITY_PROTOCOL",
            "PLAINTEXT",
            ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
        )
        mechanism = env.optional("GRIDPLUS_KAFKA_SASL_MECHANISM")
        if protocol.startswith("SASL") and mechanism is None:
            raise ConfigError(
                "GRIDPLUS_KAFKA_SASL_MECHANISM is required when "
                f"GRIDPLUS_KAFKA_SECURITY_PROTOCOL is {protocol}"
            )
        return cls(
            bootstrap_servers=env.text("GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            security_protocol=protocol,
            sasl_mechanism=mechanism,
            sasl_username=env.optional("GRIDPLUS_KAFKA_SASL_USERNAME"),
            sasl_password=env.optional("GRIDPLUS_KAFKA_SASL_PASSWORD"),
            ssl_cafile=env.optional("GRIDPLUS_KAFKA_SSL_CAFILE"),
            topic_partitions=env.integer("GRIDPLUS_KAFKA_TOPIC_PARTITIONS", 6, minimum=1),
            replication_factor=env.integer("GRIDPLUS_KAFKA_REPLICATION_FACTOR", 1, minimum=1),
            group_instance_id=env.optional("GRIDPLUS_KAFKA_GROUP_INSTANCE_ID"),
        )


_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class OidcSettings:
    """A city's OpenID Connect provider whose access tokens the services accept (kit/oidc.py).

    Set GRIDPLUS_OIDC_ISSUER to turn it on; everything else then has a default except the
    audience. The claim names say where the provider puts the Grid+ role, grid codes and
    department (README: "Sign-in with a city's identity provider").
    """

    issuer: str
    audience: str
    client_id: str | None = None
    # With a client secret (and an introspection endpoint in the discovery document) opaque
    # tokens are introspected, which also tells their audience; without, userinfo answers.
    client_secret: str | None = None
    role_claim: str = "gridplus_role"
    grids_claim: str = "gridplus_grids"
    department_claim: str = "gridplus_department"
    # Clocks of the provider and the services differ a little: exp/nbf/iat get this much slack.
    leeway_seconds: int = 30
    # How long a userinfo/introspection answer is reused: a revoked opaque token keeps working
    # this long, and the provider sees one request per token per period instead of per call.
    cache_seconds: int = 60
    # An unknown key id refetches the JWKS at most this often, so forged kids cannot make every
    # call hit the provider.
    jwks_refetch_seconds: int = 30
    # The JWKS is refetched after this long anyway, so a key the provider dropped stops working.
    jwks_max_age_seconds: int = 3600

    @classmethod
    def from_env(cls, env: Env) -> OidcSettings | None:
        issuer = env.optional("GRIDPLUS_OIDC_ISSUER")
        if issuer is None:
            return None
        parts = urlsplit(issuer)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError(f"GRIDPLUS_OIDC_ISSUER must be an https:// URL, got {issuer!r}")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
            # Keys fetched over plain HTTP could be swapped on the way: only loopback (tests,
            # make run) may use it.
            raise ConfigError(
                f"GRIDPLUS_OIDC_ISSUER must use https (http only on loopback), got {issuer!r}"
            )
        audience = env.optional("GRIDPLUS_OIDC_AUDIENCE")
        if audience is None:
            raise ConfigError(
                "GRIDPLUS_OIDC_AUDIENCE is required when GRIDPLUS_OIDC_ISSUER is set: tokens "
                "the provider issued for other applications must not be accepted"
            )
        return cls(
            issuer=issuer.rstrip("/"),
            audience=audience,
            client_id=env.optional("GRIDPLUS_OIDC_CLIENT_ID"),
            client_secret=env.optional("GRIDPLUS_OIDC_CLIENT_SECRET"),
            role_claim=env.text("GRIDPLUS_OIDC_ROLE_CLAIM", "gridplus_role"),
            grids_claim=env.text("GRIDPLUS_OIDC_GRIDS_CLAIM", "gridplus_grids"),
            department_claim=env.text("GRIDPLUS_OIDC_DEPARTMENT_CLAIM", "gridplus_department"),
            leeway_seconds=env.integer("GRIDPLUS_OIDC_LEEWAY_SECONDS", 30, minimum=0, maximum=300),
            cache_seconds=env.integer("GRIDPLUS_OIDC_CACHE_SECONDS", 60, minimum=0, maximum=600),
            jwks_refetch_seconds=env.integer(
                "GRIDPLUS_OIDC_JWKS_REFETCH_SECONDS", 30, minimum=0, maximum=3600
            ),
        )


@dataclass(frozen=True)
class JwtSettings:
    """The deployment's own HS256 tokens (service-to-service, and `make run`'s dev tokens) and,
    when set, the city's OIDC provider: with `oidc`, HS256 tokens are accepted for role
    `service` only (kit/oidc.py)."""

    secret: str
    issuer: str
    # The longest a token may be valid (exp - iat): a leaked token stops working within a day.
    max_ttl_seconds: int = 86400
    oidc: OidcSettings | None = None

    @classmethod
    def from_env(cls, env: Env) -> JwtSettings:
        secret = env.text("GRIDPLUS_JWT_SECRET")
        if len(secret) < 32:
            raise ConfigError("GRIDPLUS_JWT_SECRET must be at least 32 characters")
        return cls(
            secret=secret,
            issuer=env.text("GRIDPLUS_JWT_ISSUER", "gridplus"),
            max_ttl_seconds=env.integer("GRIDPLUS_JWT_MAX_TTL_SECONDS", 86400, minimum=60),
            oidc=OidcSettings.from_env(env),
        )


@dataclass(frozen=True)
class ServiceSettings:
    """What every service needs; each service's own config.py adds its own fields beside it."""

    spec: ServiceSpec
    grpc_port: int
    metrics_port: int
    database_url: str
    kafka: KafkaSettings
    jwt: JwtSettings
    log_level: str
    shutdown_grace_seconds: float
    var_dir: Path

    @classmethod
    def from_env(cls, package: str, env: Env | None = None) -> ServiceSettings:
        env = env or Env()
        spec = SERVICES[package]
        var_dir = Path(env.text("GRIDPLUS_VAR_DIR", "var"))
        prefix = spec.env_prefix
        return cls(
            spec=spec,
            grpc_port=env.port(f"{prefix}_GRPC_PORT", spec.grpc_port),
            metrics_port=env.port(f"{prefix}_METRICS_PORT", spec.metrics_port),
            database_url=env.text(f"{prefix}_DATABASE_URL", f"sqlite:///{var_dir}/{package}.db"),
            kafka=KafkaSettings.from_env(env),
            jwt=JwtSettings.from_env(env),
            log_level=env.choice(
                "GRIDPLUS_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            shutdown_grace_seconds=env.number("GRIDPLUS_SHUTDOWN_GRACE_SECONDS", 20.0, minimum=1.0),
            var_dir=var_dir,
        )


def service_address(package: str, env: Env | None = None) -> str:
    """Where another service's gRPC API is reached (GRIDPLUS_<SVC>_ADDR): `host:port` (every
    address of the name, e.g. `dns:///<headless Service>:port`), a comma-separated list of
    `ip:port` (replicas on loopback), or a gRPC target with its scheme (kit/grpc_client.py)."""
    env = env or Env()
    spec = SERVICES[package]
    address = env.text(f"{spec.env_prefix}_ADDR", f"127.0.0.1:{spec.grpc_port}").strip()
    if address.startswith(("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")):
        return address
    parts = [part.strip() for part in address.split(",")]
    for part in parts:
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit() or (len(parts) > 1 and not _is_ip(host)):
            raise ConfigError(
                f"{spec.env_prefix}_ADDR must be host:port or ip:port,ip:port,...; got {address!r}"
            )
    return address


def _is_ip(host: str) -> bool:
    """An IPv4 literal or a bracketed IPv6 one ([::1])."""
    bracketed = host.startswith("[") and host.endswith("]")
    try:
        ip = ipaddress.ip_address(host[1:-1] if bracketed else host)
    except ValueError:
        return False
    return ip.version == 4 or bracketed
