"""A notification email written directly (channels/mime.py) reads back through the stdlib's
parser as what was meant: subject, body and headers, in Chinese as in ASCII, within the
line lengths mail servers hold to, and a title cannot add a header."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from gridplus.notification.channels import mime

ZH_TITLE = "特殊人群走访逾期（红灯）：网格 G-01-01-01 的居民张三需要在今天之内完成走访"
ZH_BODY = "网格 G-01-01-01 的居民张三\n需要走访。\n详情请登录 Grid+ 查看。"


def parsed(title: str, body: str) -> EmailMessage:
    headers = [mime.header_line("From", "网格+ <noreply@gridplus.test>"), mime.subject(title)]
    raw = mime.message(headers, body)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def lines(title: str, body: str) -> list[bytes]:
    return mime.message([mime.subject(title)], body).split(b"\r\n")


def text(message: EmailMessage) -> str:
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")  # text/plain's line breaks are CRLF on the wire


def test_a_chinese_subject_and_body_round_trip_as_utf8() -> None:
    message = parsed(ZH_TITLE, ZH_BODY)
    assert message["Subject"] == ZH_TITLE
    assert text(message) == ZH_BODY + "\n"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "base64"
    assert message["MIME-Version"] == "1.0"
    assert message["From"].addresses[0].display_name == "网格+"


def test_a_non_ascii_subject_is_rfc2047_encoded_words_within_the_line_limits() -> None:
    raw = lines(ZH_TITLE, ZH_BODY)
    subject = raw[: next(i for i, line in enumerate(raw) if line.startswith(b"MIME"))]
    assert len(subject) > 1  # folded
    assert all(len(line) <= 78 and line.isascii() for line in raw)
    words = b" ".join(subject).removeprefix(b"Subject: ").split()
    assert all(w.startswith(b"=?utf-8?b?") and w.endswith(b"?=") and len(w) <= 75 for w in words)


def test_a_plain_ascii_message_is_written_as_it_is() -> None:
    message = parsed("Petition p-1 is overdue", '{"petition_id": "p-1"}')
    assert message["Subject"] == "Petition p-1 is overdue"
    assert message["Content-Transfer-Encoding"] == "7bit"
    assert text(message) == '{"petition_id": "p-1"}\n'
    assert b"Subject: Petition p-1 is overdue\r\n" in mime.message(
        [mime.subject("Petition p-1 is overdue")], ""
    )


def test_a_long_ascii_subject_is_folded_between_words() -> None:
    title = " ".join(f"word{i}" for i in range(40))
    assert all(len(line) <= 78 for line in lines(title, "x"))
    assert parsed(title, "x")["Subject"] == title


@pytest.mark.parametrize("title", ["looks =?utf-8?b?SGk=?= encoded", "tab\tand\x07bell"])
def test_ascii_that_a_reader_would_decode_or_choke_on_is_encoded(title: str) -> None:
    assert parsed(title, "x")["Subject"] == " ".join(title.split())


def test_a_line_break_in_a_title_adds_no_header() -> None:
    message = parsed("Hello\r\nBcc: someone@else.example", "x")
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: someone@else.example"


def test_an_ascii_body_with_an_overlong_line_is_base64() -> None:
    body = "a" * 1200 + "\nend"
    message = parsed("t", body)
    assert message["Content-Transfer-Encoding"] == "base64"
    assert text(message) == body + "\n"
    assert all(len(line) <= 78 for line in lines("t", body))


def test_only_plain_ascii_addr_specs_are_written_directly() -> None:
    assert mime.simple_address("person-1@bench.example")
    assert mime.simple_address("o'brien+grid@x.example")
    for address in ("Zhang <z@x.example>", "张三@x.example", "a@b.example\r\nBcc: c@d", "a b@c"):
        assert not mime.simple_address(address)
