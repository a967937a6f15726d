"""Free text taken from callers: refuse what could spoof what staff read.

Control characters (C0, DEL, C1) hide or fake line structure; bidi overrides and isolates
(U+202A–U+202E, U+2066–U+2069) and the other invisible format characters reorder what a reader
sees (a refund "\u202egnp.exe" reads as "exe.png"). Such text is refused with a field error naming
the first offending character, so a caller learns what to fix and nothing is stored half-cleaned.
A tab is kept everywhere; newlines only where the field is multi-line (a description, a note).
"""

from __future__ import annotations

import unicodedata

from gridplus.kit.errors import InvalidArgument

# Format characters that reorder or hide text. Zero-width joiners (U+200C/U+200D) stay: they
# are needed to write some scripts (and emoji sequences) correctly.
_SPOOFING = frozenset(
    "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)
_ALWAYS_ALLOWED = frozenset("\t")
_MULTILINE_ALLOWED = frozenset("\n\r")


def offending_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character `value` may not hold, or None when it is clean."""
    allowed = _ALWAYS_ALLOWED | (_MULTILINE_ALLOWED if multiline else frozenset())
    for char in value:
        if char in allowed:
            continue
        if char in _SPOOFING or unicodedata.category(char) == "Cc":
            return char
    return None


def clean_text(value: str, *, field: str, multiline: bool = False) -> str:
    """`value` with CRLF/CR folded to LF, or InvalidArgument naming `field` and the character."""
    bad = offending_character(value, multiline=multiline)
    if bad is not None:
        name = unicodedata.name(bad, "control character")
        raise InvalidArgument.single(
            field, f"must not contain U+{ord(bad):04X} ({name}): control or bidi characters"
        )
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def clean_optional(value: str | None, *, field: str, multiline: bool = False) -> str | None:
    return None if value is None else clean_text(value, field=field, multiline=multiline)
