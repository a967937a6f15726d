"""GRIDPLUS_NOTIFICATION_* settings: defaults, channels switched on, bad values named."""

from __future__ import annotations

import pytest

from gridplus.kit.config import ConfigError, Env
from gridplus.notification.config import NotificationSettings
from gridplus.notification.domain.notices import Channel, NoticeKind


def test_defaults_have_no_email_or_sms_and_sane_retries() -> None:
    settings = NotificationSettings.from_env(Env({}))
    assert settings.smtp is None and settings.sms is None
    assert settings.retry.max_attempts == 8
    assert settings.rate_per_second[Channel.SMS] == 5.0
    assert NoticeKind.PETITION_OVERDUE in settings.sms_kinds


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


@pytest.mark.parametrize(
    ("name", "value"),
    [
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
