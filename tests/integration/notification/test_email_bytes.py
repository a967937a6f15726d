"""What the email adapter puts on the wire, read back by a real SMTP server (aiosmtpd) and the
stdlib's email parser: the subject, body and recipients the delivery asked for, in Chinese as
in ASCII, with Date and the delivery's Message-ID, and only to the delivery's address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from gridplus.notification.channels.base import Outgoing
from gridplus.notification.channels.email import SmtpEmail, SmtpSettings
from tests.integration.notification.conftest import LOOPBACK
from tests.integration.notification.servers import SmtpSink

pytestmark = pytest.mark.integration


class EnvelopeSink(SmtpSink):
    """Keeps each message's envelope (MAIL FROM, RCPT TO) beside the message."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink() -> Iterator[EnvelopeSink]:
    sink = EnvelopeSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def sent(
    sink: EnvelopeSink, message: Outgoing, sender: str = "网格+ <noreply@gridplus.test>"
) -> EmailMessage:
    SmtpEmail(SmtpSettings("127.0.0.1", sink.port, sender), egress=LOOPBACK).send(message)
    assert len(sink.messages) == 1
    return sink.messages[0]


def body(message: EmailMessage) -> str:
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def test_a_chinese_email_arrives_as_written(sink: EnvelopeSink) -> None:
    title = "特殊人群走访逾期（红灯）：网格 G-01-01-01 的居民张三需要在今天之内完成走访"
    text = "网格 G-01-01-01 的居民张三\n需要走访。\n.这一行以句点开头"
    got = sent(sink, Outgoing("d-1", "worker7@gov.example", title, text, "gridplus.x.v1.Y"))
    assert got["Subject"] == title
    assert body(got) == text + "\n"
    assert got["To"] == "worker7@gov.example"
    assert got["From"].addresses[0].display_name == "网格+"
    assert got["Message-ID"] == "<d-1@gridplus.notification>"
    assert got["X-GridPlus-Delivery"] == "d-1"
    assert got["X-GridPlus-Event-Type"] == "gridplus.x.v1.Y"
    sent_at = parsedate_to_datetime(got["Date"])
    assert abs((sent_at - datetime.now(UTC)).total_seconds()) < 60  # a time zone, and UTC
    assert sink.envelopes == [("noreply@gridplus.test", ["worker7@gov.example"])]


def test_an_ascii_email_arrives_as_written(sink: EnvelopeSink) -> None:
    got = sent(
        sink, Outgoing("d-2", "p1@x.example", "Petition accepted", "p-1\nG-01", "t"), "gp@x.example"
    )
    assert (got["Subject"], body(got), got["To"]) == (
        "Petition accepted",
        "p-1\nG-01\n",
        "p1@x.example",
    )
    assert sink.envelopes == [("gp@x.example", ["p1@x.example"])]


def test_a_title_with_a_line_break_adds_no_recipient(sink: EnvelopeSink) -> None:
    title = "Hello\r\nBcc: someone@else.example"
    got = sent(sink, Outgoing("d-3", "p1@x.example", title, "x", "t"))
    assert got["Bcc"] is None
    assert sink.envelopes[0][1] == ["p1@x.example"]


def test_an_address_with_a_display_name_still_reaches_its_mailbox(sink: EnvelopeSink) -> None:
    got = sent(sink, Outgoing("d-4", "张三 <z@x.example>", "标题", "正文", "t"))
    assert (got["Subject"], body(got)) == ("标题", "正文\n")
    assert got["To"].addresses[0].display_name == "张三"
    assert sink.envelopes[0][1] == ["z@x.example"]
