"""Notification's own settings (GRIDPLUS_NOTIFICATION_*), read once at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from gridplus.kit.config import ConfigError, Env
from gridplus.kit.egress import EgressGuard, EgressRefused, HostUnresolved
from gridplus.notification.channels.email import SmtpSettings
from gridplus.notification.domain.delivery import RetryPolicy
from gridplus.notification.domain.notices import Channel, NoticeKind

log = logging.getLogger(__name__)

PREFIX = "GRIDPLUS_NOTIFICATION_"
DEFAULT_SMS_KINDS = (
    NoticeKind.PETITION_OVERDUE,
    NoticeKind.PETITION_ESCALATED,
    NoticeKind.WHISTLE_BLOWN,
    NoticeKind.WHISTLE_REPORT_OVERDUE,
    NoticeKind.CARE_VISIT_OVERDUE,
)


@dataclass(frozen=True)
class SmsSettings:
    gateway_url: str
    token: str

    def __repr__(self) -> str:
        return f"SmsSettings({self.gateway_url!r})"


@dataclass(frozen=True)
class NotificationSettings:
    smtp: SmtpSettings | None  # None: no email channel
    sms: SmsSettings | None  # None: no SMS channel
    sms_kinds: frozenset[NoticeKind]  # SMS costs money: only these kinds go out by SMS
    disabled_kinds: frozenset[NoticeKind]
    retry: RetryPolicy
    breaker_threshold: int
    breaker_rest: timedelta
    # Per replica: the service-wide rates (*_RATE_PER_SECOND) divided by REPLICAS, the most
    # replicas that run (the chart passes replicas, or the HPA's maxReplicas).
    rate_per_second: dict[Channel, float]
    replicas: int
    http_timeout_seconds: float
    concurrency: int
    poll_seconds: float
    # How long grid chains are told from before grid-registry confirms the grid-set version
    # again (handlers/grid_cache.py); 0 = asked for every event.
    grid_confirm_seconds: float = 5.0

    @classmethod
    def from_env(cls, env: Env | None = None) -> NotificationSettings:
        env = env or Env()
        replicas = env.integer(PREFIX + "REPLICAS", 1, minimum=1, maximum=1000)
        return cls(
            smtp=_smtp(env),
            sms=_sms(env),
            sms_kinds=_kinds(env, "SMS_KINDS", DEFAULT_SMS_KINDS),
            disabled_kinds=_kinds(env, "DISABLED_KINDS", ()),
            retry=RetryPolicy(
                max_attempts=env.integer(PREFIX + "RETRY_MAX_ATTEMPTS", 8, minimum=1),
                base_seconds=env.number(PREFIX + "RETRY_BASE_SECONDS", 2.0, minimum=0.0),
                max_seconds=env.number(PREFIX + "RETRY_MAX_SECONDS", 600.0, minimum=0.0),
                jitter=_fraction(env, "RETRY_JITTER", 0.5),
            ),
            breaker_threshold=env.integer(PREFIX + "BREAKER_THRESHOLD", 5, minimum=1),
            breaker_rest=timedelta(
                seconds=env.number(PREFIX + "BREAKER_REST_SECONDS", 30.0, minimum=0.0)
            ),
            rate_per_second={
                Channel.EMAIL: env.number(PREFIX + "EMAIL_RATE_PER_SECOND", 20.0, minimum=0.01)
                / replicas,
                Channel.WEBHOOK: env.number(PREFIX + "WEBHOOK_RATE_PER_SECOND", 50.0, minimum=0.01)
                / replicas,
                Channel.SMS: env.number(PREFIX + "SMS_RATE_PER_SECOND", 5.0, minimum=0.01)
                / replicas,
            },
            replicas=replicas,
            http_timeout_seconds=env.number(PREFIX + "HTTP_TIMEOUT_SECONDS", 10.0, minimum=0.1),
            concurrency=env.integer(PREFIX + "WORKER_CONCURRENCY", 8, minimum=1, maximum=64),
            poll_seconds=env.number(PREFIX + "WORKER_POLL_SECONDS", 1.0, minimum=0.05),
            grid_confirm_seconds=env.number(PREFIX + "GRID_CONFIRM_SECONDS", 5.0, minimum=0.0),
        )


def _smtp(env: Env) -> SmtpSettings | None:
    host = env.optional(PREFIX + "SMTP_HOST")
    if host is None:
        return None
    return SmtpSettings(
        host=host,
        port=env.port(PREFIX + "SMTP_PORT", 25),
        sender=env.text(PREFIX + "SMTP_FROM", "Grid+ <noreply@gridplus.local>"),
        security=env.choice(PREFIX + "SMTP_SECURITY", "none", ("none", "starttls", "ssl")),
        username=env.optional(PREFIX + "SMTP_USERNAME"),
        password=env.optional(PREFIX + "SMTP_PASSWORD"),
        timeout_seconds=env.number(PREFIX + "SMTP_TIMEOUT_SECONDS", 10.0, minimum=0.1),
    )


def _sms(env: Env) -> SmsSettings | None:
    url = env.optional(PREFIX + "SMS_GATEWAY_URL")
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{PREFIX}SMS_GATEWAY_URL must be an http(s) URL")
    return SmsSettings(gateway_url=url, token=env.text(PREFIX + "SMS_GATEWAY_TOKEN"))


def _kinds(env: Env, name: str, default: tuple[NoticeKind, ...]) -> frozenset[NoticeKind]:
    raw = env.optional(PREFIX + name)
    if raw is None:
        return frozenset(default)
    try:
        return frozenset(NoticeKind(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        known = ", ".join(kind.value for kind in NoticeKind)
        raise ConfigError(f"{PREFIX}{name}: {exc}; known kinds: {known}") from None


def _fraction(env: Env, name: str, default: float) -> float:
    value = env.number(PREFIX + name, default, minimum=0.0)
    if value > 1:
        raise ConfigError(f"{PREFIX}{name} must be between 0 and 1, got {value}")
    return value


def check_endpoints(settings: NotificationSettings, egress: EgressGuard) -> None:
    """ConfigError when the egress guard refuses the configured mail relay or SMS gateway (add
    it to GRIDPLUS_EGRESS_ALLOW if it is internal on purpose). A name that does not resolve yet
    is only logged: DNS may come up after the pod, and each delivery checks again anyway."""
    endpoints: list[tuple[str, str, int]] = []
    if settings.smtp is not None:
        endpoints.append(("SMTP_HOST", settings.smtp.host, settings.smtp.port))
    if settings.sms is not None:
        parts = urlsplit(settings.sms.gateway_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        endpoints.append(("SMS_GATEWAY_URL", parts.hostname or "", port))
    for name, host, port in endpoints:
        try:
            egress.check(host, port)
        except EgressRefused as exc:
            raise ConfigError(f"{PREFIX}{name}: {exc}") from None
        except HostUnresolved as exc:
            log.warning(
                "delivery endpoint does not resolve yet", extra={"setting": name, "error": str(exc)}
            )
