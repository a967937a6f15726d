"""A notification email's bytes, written directly: a single text/plain UTF-8 part with a handful
of headers, which the stdlib's EmailMessage builds through its header registry, policy and
generator at ~20 times the CPU (it was a third of the delivery worker's time per email).

What a reader sees is the same: RFC 2047 encoded words for a subject that is not plain ASCII,
the body as 7bit when it is short-lined ASCII and as base64 UTF-8 otherwise, Date and
Message-ID. Anything beyond that (an address that is not a plain ASCII addr-spec) is left to
the stdlib, see `simple_address`.
"""

from __future__ import annotations

import base64
import functools
import re
from email.headerregistry import HeaderRegistry
from email.policy import SMTP

# An ASCII addr-spec with nothing a header or an SMTP command could take another way (no space,
# quote, bracket, comma or line break): written as it is.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
# Subject lines are kept within RFC 5322's recommended 78 characters where words allow.
_LINE = 78
# UTF-8 bytes per encoded word: "=?utf-8?b?" + 52 base64 characters + "?=" = 64 (RFC 2047: 75).
_WORD_BYTES = 39
_LONGEST_7BIT_LINE = 998  # RFC 5322's limit, without CRLF


def simple_address(address: str) -> bool:
    """Whether `address` is a plain ASCII addr-spec this module writes as it is."""
    return _PLAIN_ADDRESS.fullmatch(address) is not None


@functools.lru_cache(maxsize=256)
def header_line(name: str, value: str) -> bytes:
    """One header as the stdlib writes it, for values that repeat (From, an event type): the
    registry's parsing and folding once per value."""
    header = HeaderRegistry()(name, value)
    return header.fold(policy=SMTP).encode("ascii")


def subject(title: str) -> bytes:
    """The Subject header line (CRLF-terminated): as it is when plain ASCII, else encoded words."""
    text = " ".join(title.split())  # a line break in a title must not start a new header
    if text.isascii() and text.isprintable() and "=?" not in text:
        return _fold_words(b"Subject:", text.encode("ascii").split(b" "))
    return _fold_words(b"Subject:", _encoded_words(text))


def _encoded_words(text: str) -> list[bytes]:
    """RFC 2047 base64 words of UTF-8, each whole characters of at most _WORD_BYTES bytes."""
    words: list[bytes] = []
    chunk = bytearray()
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(_word(bytes(chunk)))
            chunk.clear()
        chunk += encoded
    if chunk:
        words.append(_word(bytes(chunk)))
    return words


def _word(data: bytes) -> bytes:
    return b"=?utf-8?b?" + base64.b64encode(data) + b"?="


def _fold_words(name: bytes, words: list[bytes]) -> bytes:
    """`name` and the words separated by spaces, a line folded before a word that would pass
    _LINE (white space between encoded words is not part of the decoded text)."""
    lines = [name]
    for word in words:
        if len(lines[-1]) + 1 + len(word) > _LINE and len(lines[-1]) > len(name):
            lines.append(b"")
        lines[-1] += b" " + word
    return b"\r\n".join(lines) + b"\r\n"


def body(text: str) -> tuple[bytes, bytes]:
    """The body's transfer encoding and bytes: 7bit for short-lined ASCII, else base64 UTF-8."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n").split("\n")
    canonical = "\r\n".join(lines) + "\r\n"  # text/plain's line breaks, ending in one
    if text.isascii() and all(len(line) <= _LONGEST_7BIT_LINE for line in lines):
        return b"7bit", canonical.encode("ascii")
    return b"base64", base64.encodebytes(canonical.encode("utf-8")).replace(b"\n", b"\r\n")


def message(headers: list[bytes], text: str) -> bytes:
    """The whole message: `headers` (whole CRLF-terminated lines), the MIME headers, a blank
    line and the body."""
    encoding, content = body(text)
    return b"".join(
        [
            *headers,
            b"MIME-Version: 1.0\r\n",
            b'Content-Type: text/plain; charset="utf-8"\r\n',
            b"Content-Transfer-Encoding: " + encoding + b"\r\n",
            b"\r\n",
            content,
        ]
    )
