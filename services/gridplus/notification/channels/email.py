"""Email over SMTP (smtplib), plain, STARTTLS or implicit TLS, to the mail relay the egress
guard checked (public, or allowed by GRIDPLUS_EGRESS_ALLOW) and to no other address.

Messages to a plain address are written by channels/mime.py (the stdlib's EmailMessage costs
~20 times the CPU); any other address still goes through EmailMessage and send_message.

Each sending thread keeps its connection to the relay for the next messages, for at most
`reuse_seconds` from its opening (the guard checks the relay again at each new connection); one
that the relay has closed meanwhile is replaced once, and one whose send failed is dropped."""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formatdate, parseaddr

from gridplus.kit.egress import EgressGuard, EgressRefused
from gridplus.notification.channels import mime
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
    reuse_seconds: float = 30.0  # how long one connection carries messages (0: one each)

    def __repr__(self) -> str:
        return f"SmtpSettings({self.host!r}, {self.port}, security={self.security!r})"


class SmtpEmail(ChannelAdapter):
    channel = Channel.EMAIL

    def __init__(self, settings: SmtpSettings, *, egress: EgressGuard) -> None:
        self._settings = settings
        self._egress = egress
        self._local = threading.local()  # this thread's open connection and when it opened
        # The envelope sender is From's address; written directly only when it is a plain one.
        self._envelope_from = parseaddr(settings.sender)[1]
        self._from = mime.header_line("From", settings.sender)
        self._direct = mime.simple_address(self._envelope_from)

    def endpoint(self, message: Outgoing) -> str:
        return f"smtp://{self._settings.host}:{self._settings.port}"

    def send(self, message: Outgoing) -> None:
        email: bytes | EmailMessage
        if self._direct and mime.simple_address(message.address):
            email = self._written(message)
        else:
            email = self._built(message)
        try:
            refused = self._send(email, message.address)
        except EgressRefused as exc:
            raise SendFailed(str(exc), permanent=True) from None
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

    def _written(self, message: Outgoing) -> bytes:
        delivery_id = message.delivery_id.encode("ascii")
        headers = [
            self._from,
            b"To: " + message.address.encode("ascii") + b"\r\n",
            mime.subject(message.title),
            # +0000, not formatdate's -0000 ("zone unknown"): readers show the right local time.
            b"Date: " + format_datetime(datetime.now(UTC)).encode("ascii") + b"\r\n",
            # One id per delivery: a retried send after a lost reply is recognisably the same.
            b"Message-ID: <" + delivery_id + b"@gridplus.notification>\r\n",
            b"X-GridPlus-Delivery: " + delivery_id + b"\r\n",
            mime.header_line("X-GridPlus-Event-Type", message.event_type),
        ]
        return mime.message(headers, message.body)

    def _built(self, message: Outgoing) -> EmailMessage:
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
        return email

    def _deliver(
        self, smtp: smtplib.SMTP, email: bytes | EmailMessage, to: str
    ) -> dict[str, tuple[int, bytes]]:
        if isinstance(email, bytes):
            return smtp.sendmail(self._envelope_from, [to], email)
        return smtp.send_message(email)

    def _send(self, email: bytes | EmailMessage, to: str) -> dict[str, tuple[int, bytes]]:
        smtp, opened = getattr(self._local, "open", None) or (None, 0.0)
        if smtp is not None and time.monotonic() - opened > self._settings.reuse_seconds:
            _quit(smtp)
            smtp = None
        self._local.open = None
        if smtp is not None:
            try:
                refused = self._deliver(smtp, email, to)
            except smtplib.SMTPServerDisconnected:  # the relay closed it while it was idle
                smtp.close()
            except BaseException:
                smtp.close()
                raise
            else:
                self._local.open = (smtp, opened)
                return refused
        opened = time.monotonic()
        smtp = self._connect()
        try:
            if self._settings.username:
                smtp.login(self._settings.username, self._settings.password or "")
            refused = self._deliver(smtp, email, to)
        except BaseException:
            smtp.close()
            raise
        if self._settings.reuse_seconds > 0:
            self._local.open = (smtp, opened)
        else:
            _quit(smtp)
        return refused

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        if settings.security == "ssl":
            context = ssl.create_default_context()
            return _GuardedSmtpSsl(
                self._egress,
                settings.host,
                settings.port,
                timeout=settings.timeout_seconds,
                context=context,
            )
        smtp = _GuardedSmtp(
            self._egress, settings.host, settings.port, timeout=settings.timeout_seconds
        )
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _permanent(codes: list[int]) -> bool:
    # 5xx: the server will say the same again; 4xx: try later.
    return bool(codes) and all(500 <= code < 600 for code in codes)


class _GuardedSmtp(smtplib.SMTP):
    """smtplib connecting through the egress guard: the relay's name is resolved and checked
    at every connection, and the socket goes to the checked address (TLS still verifies the
    certificate for the name)."""

    def __init__(self, egress: EgressGuard, host: str, port: int, *, timeout: float) -> None:
        self._egress = egress  # before SMTP.__init__, which connects
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self._egress.connect(self._egress.check(host, port), timeout)


class _GuardedSmtpSsl(smtplib.SMTP_SSL, _GuardedSmtp):
    # SMTP_SSL._get_socket wraps what _GuardedSmtp._get_socket (next in the MRO) opened.
    def __init__(
        self,
        egress: EgressGuard,
        host: str,
        port: int,
        *,
        timeout: float,
        context: ssl.SSLContext,
    ) -> None:
        self._egress = egress
        smtplib.SMTP_SSL.__init__(self, host, port, timeout=timeout, context=context)
