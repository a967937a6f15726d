"""The email adapter keeps a thread's SMTP connection for the next messages (one EHLO for many),
replaces one the relay closed meanwhile, and opens a new one after reuse_seconds."""

from __future__ import annotations

from typing import Any

import pytest
from aiosmtpd.controller import Controller

from gridplus.notification.channels.base import Outgoing
from gridplus.notification.channels.email import SmtpEmail, SmtpSettings
from tests.integration.notification.conftest import LOOPBACK
from tests.integration.notification.servers import SmtpSink

pytestmark = pytest.mark.integration


class CountingSink(SmtpSink):
    def __init__(self) -> None:
        super().__init__()
        self.greetings = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.greetings += 1
        session.host_name = hostname
        return responses

    def restart(self) -> None:
        self.stop()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.start()


def message(n: int) -> Outgoing:
    return Outgoing(f"d-{n}", f"p{n}@x.example", "Title", "body", "t", "")


def test_one_connection_carries_the_next_messages_and_a_closed_one_is_replaced() -> None:
    sink = CountingSink()
    sink.start()
    try:
        email = SmtpEmail(SmtpSettings("127.0.0.1", sink.port, "gp@x.example"), egress=LOOPBACK)
        for n in range(5):
            email.send(message(n))
        assert (len(sink.messages), sink.greetings) == (5, 1)
        sink.restart()  # the relay drops its connections
        email.send(message(5))
        assert (len(sink.messages), sink.greetings) == (6, 2)
    finally:
        sink.stop()


def test_without_reuse_each_message_has_its_own_connection() -> None:
    sink = CountingSink()
    sink.start()
    try:
        settings = SmtpSettings("127.0.0.1", sink.port, "gp@x.example", reuse_seconds=0)
        email = SmtpEmail(settings, egress=LOOPBACK)
        for n in range(3):
            email.send(message(n))
        assert (len(sink.messages), sink.greetings) == (3, 3)
    finally:
        sink.stop()
