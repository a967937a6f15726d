"""Personal data taken out of text before it is published: phone numbers, email addresses and ID
numbers (a Chinese 18-digit resident ID, a US social security number) become a marker such as
`[phone]`. Published text is also stripped of control and bidi characters, in case any were
stored before intake refused them.

The rules lean towards removing too much: any run of 7 or more digits (spaces, dots, dashes and
brackets between them) that is not a date is taken for a phone number, or for a card or account
number when it is longer than a phone number can be. House numbers, times, amounts and dates stay.
"""

from __future__ import annotations

import re

from gridplus.kit.text import offending_character

PHONE = "[phone]"
EMAIL = "[email]"
ID_NUMBER = "[ID number]"
NUMBER = "[number]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# 17 digits and a check digit (0-9 or X); letters or digits around it make it something else.
_RESIDENT_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")
_SSN = re.compile(r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{4}(?!\d)")
# Digits with at most two separators between each: 212 555 0101, (212) 555-0101, +86 138-1234-5678.
_DIGITS = re.compile(r"(?<![\d+])(?:\+|\(\s?)?\d(?:[ .\-()]{0,2}\d)+(?!\d)")
_DATE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4})$")
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15  # E.164


def redact(text: str) -> str:
    """`text` with phones, emails and ID numbers replaced by markers, and without control or
    bidi characters (newlines and tabs stay)."""
    text = printable(text)
    text = _EMAIL.sub(EMAIL, text)
    text = _RESIDENT_ID.sub(ID_NUMBER, text)
    text = _SSN.sub(ID_NUMBER, text)
    return _DIGITS.sub(_number_marker, text)


def printable(text: str) -> str:
    """`text` without the characters intake refuses (see gridplus.kit.text)."""
    return "".join(char for char in text if offending_character(char, multiline=True) is None)


def _number_marker(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(char.isdigit() for char in found)
    if digits < PHONE_MIN_DIGITS or _DATE.match(found):
        return found
    return PHONE if digits <= PHONE_MAX_DIGITS else NUMBER
