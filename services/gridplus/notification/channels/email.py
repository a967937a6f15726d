"""Email over SMTP (smtplib), plain, STARTTLS or implicit TLS."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from gridplus.notification.channels.base import ChannelAdapter, Outgoing, SendFailed
from gridplus.notification.domain.notices import Channel


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0

    def __repr__(self) -> str:
        return f"SmtpSettings({self.host!r}, {self.port}, security={self.security!r})"


class SmtpEmail(ChannelAdapter):
    channel = Channel.EMAIL

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def endpoint(self, message: Outgoing) -> str:
        return f"smtp://{self._settings.host}:{self._settings.port}"

    def send(self, message: Outgoing) -> None:
        email = EmailMessage()
        email["From"] = self._settings.sender
        email["To"] = message.address
        email["Subject"] = message.title
        email["Date"] = formatdate(localtime=False)
        # One id per delivery: a retried send after a lost reply is recognisably the same mail.
        email["Message-ID"] = f"<{message.delivery_id}@gridplus.notification>"
        email["X-GridPlus-Delivery"] = message.delivery_id
        email["X-GridPlus-Event-Type"] = message.event_type
        email.set_content(message.body)
        try:
            with self._connect() as smtp:
                if self._settings.username:
                    smtp.login(self._settings.username, self._settings.password or "")
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailed(f"recipient refused ({codes})", permanent=_permanent(codes)) from None
        except smtplib.SMTPResponseException as exc:
            reason = f"SMTP {exc.smtp_code}"
            raise SendFailed(reason, permanent=_permanent([exc.smtp_code])) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"SMTP server unreachable: {type(exc).__name__}") from None
        if refused:
            codes = [code for code, _ in refused.values()]
            raise SendFailed(f"recipient refused ({codes})", permanent=_permanent(codes))

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        if settings.security == "ssl":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=context
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp


def _permanent(codes: list[int]) -> bool:
    # 5xx: the server will say the same again; 4xx: try later.
    return bool(codes) and all(500 <= code < 600 for code in codes)
