"""GRIDPLUS_NOTIFICATION_* settings: defaults, channels switched on, bad values named, and a
mail relay or SMS gateway the egress guard refuses stopping the start."""

from __future__ import annotations

import ipaddress

import pytest

from gridplus.kit.config import ConfigError, Env
from gridplus.kit.egress import AllowList, EgressGuard, HostUnresolved, IPAddress, Resolver
from gridplus.notification.config import NotificationSettings, check_endpoints
from gridplus.notification.domain.notices import Channel, NoticeKind


def test_defaults_have_no_email_or_sms_and_sane_retries() -> None:
    settings = NotificationSettings.from_env(Env({}))
    assert settings.smtp is None and settings.sms is None
    assert settings.retry.max_attempts == 8
    assert settings.rate_per_second[Channel.SMS] == 5.0
    assert NoticeKind.PETITION_OVERDUE in settings.sms_kinds
    assert settings.grid_confirm_seconds == 5.0


def test_grid_chains_can_be_asked_for_every_event() -> None:
    env = Env({"GRIDPLUS_NOTIFICATION_GRID_CONFIRM_SECONDS": "0"})
    assert NotificationSettings.from_env(env).grid_confirm_seconds == 0.0


def test_channels_are_configured_from_the_environment() -> None:
    settings = NotificationSettings.from_env(
        Env(
            {
                "GRIDPLUS_NOTIFICATION_SMTP_HOST": "smtp.example.org",
                "GRIDPLUS_NOTIFICATION_SMTP_PORT": "587",
                "GRIDPLUS_NOTIFICATION_SMTP_SECURITY": "starttls",
                "GRIDPLUS_NOTIFICATION_SMTP_PASSWORD": "hunter2",
                "GRIDPLUS_NOTIFICATION_SMS_GATEWAY_URL": "https://sms.example.org/send",
                "GRIDPLUS_NOTIFICATION_SMS_GATEWAY_TOKEN": "tok",
                "GRIDPLUS_NOTIFICATION_SMS_KINDS": "bulletin, petition_overdue",
                "GRIDPLUS_NOTIFICATION_RETRY_MAX_ATTEMPTS": "3",
            }
        )
    )
    assert settings.smtp is not None and settings.smtp.port == 587
    assert "hunter2" not in repr(settings)
    assert settings.sms is not None and "tok" not in repr(settings.sms)
    assert settings.sms_kinds == {NoticeKind.BULLETIN, NoticeKind.PETITION_OVERDUE}
    assert settings.retry.max_attempts == 3


def test_the_service_wide_rates_are_divided_among_the_replicas() -> None:
    settings = NotificationSettings.from_env(
        Env(
            {
                "GRIDPLUS_NOTIFICATION_REPLICAS": "4",
                "GRIDPLUS_NOTIFICATION_SMS_RATE_PER_SECOND": "10",
            }
        )
    )
    assert settings.replicas == 4
    assert settings.rate_per_second == {Channel.EMAIL: 5.0, Channel.WEBHOOK: 12.5, Channel.SMS: 2.5}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRIDPLUS_NOTIFICATION_REPLICAS", "0"),
        ("GRIDPLUS_NOTIFICATION_SMS_KINDS", "nonsense"),
        ("GRIDPLUS_NOTIFICATION_RETRY_JITTER", "2"),
        ("GRIDPLUS_NOTIFICATION_SMTP_SECURITY", "tls"),
        ("GRIDPLUS_NOTIFICATION_SMS_GATEWAY_URL", "ftp://x"),
        ("GRIDPLUS_NOTIFICATION_RETRY_MAX_ATTEMPTS", "0"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    environ = {"GRIDPLUS_NOTIFICATION_SMTP_HOST": "h", name: value}
    with pytest.raises(ConfigError, match=name):
        NotificationSettings.from_env(Env(environ))


def relay_and_gateway(smtp_host: str, sms_url: str) -> NotificationSettings:
    return NotificationSettings.from_env(
        Env(
            {
                "GRIDPLUS_NOTIFICATION_SMTP_HOST": smtp_host,
                "GRIDPLUS_NOTIFICATION_SMS_GATEWAY_URL": sms_url,
                "GRIDPLUS_NOTIFICATION_SMS_GATEWAY_TOKEN": "tok",
            }
        )
    )


def resolver(**answers: str) -> Resolver:
    def resolve(host: str, port: int) -> list[IPAddress]:
        if host not in answers:
            raise HostUnresolved("the host does not resolve")
        return [ipaddress.ip_address(answers[host])]

    return resolve


@pytest.mark.parametrize(
    ("smtp_host", "sms_url", "variable"),
    [
        ("10.0.0.25", "https://sms.example.org/send", "GRIDPLUS_NOTIFICATION_SMTP_HOST"),
        ("smtp.example.org", "http://169.254.169.254/", "GRIDPLUS_NOTIFICATION_SMS_GATEWAY_URL"),
        ("smtp.example.org", "http://sms.internal/", "GRIDPLUS_NOTIFICATION_SMS_GATEWAY_URL"),
    ],
)
def test_a_relay_or_gateway_the_egress_guard_refuses_stops_the_start(
    smtp_host: str, sms_url: str, variable: str
) -> None:
    guard = EgressGuard(
        resolver=resolver(
            **{"smtp.example.org": "93.184.215.14", "sms.example.org": "93.184.215.15"},
            **{"sms.internal": "10.1.0.9"},
        )
    )
    with pytest.raises(ConfigError, match=f"{variable}: the host (is|resolves to) a"):
        check_endpoints(relay_and_gateway(smtp_host, sms_url), guard)


def test_an_allowed_internal_relay_and_a_name_not_resolving_yet_start() -> None:
    guard = EgressGuard(
        AllowList.parse("relay.mail.svc.cluster.local:25"),
        resolver=resolver(**{"relay.mail.svc.cluster.local": "10.96.0.25"}),
    )
    settings = relay_and_gateway("relay.mail.svc.cluster.local", "https://sms.later.example/")
    check_endpoints(settings, guard)  # the gateway's name may resolve once DNS has it
