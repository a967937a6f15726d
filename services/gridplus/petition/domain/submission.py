"""What a new petition must contain, checked field by field so the caller learns every mistake
at once (one FieldViolation per bad field).

Free text goes through the kit's clean_text: control characters and bidi overrides/isolates are
refused (they could make staff read something other than what is stored); newlines only in the
description. Nothing is stored when any field is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.kit.text import clean_text
from gridplus.petition.domain.values import Contact, GeoPoint

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
CATEGORY_MAX = 64
NOTE_MAX = 2000
ADDRESS_MAX = 500
MEDIA_URL_MAX = 2048
ATTRIBUTE_MAX = 500


@dataclass(frozen=True)
class Submission:
    title: str
    description: str
    location: GeoPoint
    category: str | None  # None: dispatch chooses
    # Open311 extras (public): the place as text, a link to the client's media, attributes.
    address: str | None = None
    media_url: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    # The reporter agrees that the description and media may be published (Open311 GET),
    # with phones, emails and ID numbers redacted. Default: private.
    make_public: bool = False


def validate_submission(
    *,
    title: object,
    description: object,
    lat: object,
    lon: object,
    category: object,
    make_public: object = False,
    address: object = None,
    media_url: object = None,
    attributes: tuple[tuple[str, str], ...] = (),
) -> Submission:
    """Check raw values (from JSON, a form or protobuf); raises InvalidArgument naming each bad
    field (`attribute[<code>]` for an attribute's value)."""
    violations: list[FieldViolation] = []

    def text(
        field: str, value: object, limit: int, *, required: bool, multiline: bool = False
    ) -> str:
        problem = _text_problem(value, limit, required=required)
        cleaned = value.strip() if isinstance(value, str) else ""
        if problem is None and isinstance(value, str):
            cleaned, problem = checked_text(field, value, multiline=multiline)
        if problem:
            violations.append(FieldViolation(field, problem))
        return cleaned

    def coordinate(field: str, value: object, bound: int) -> float:
        problem = _coordinate_problem(value, bound)
        if problem:
            violations.append(FieldViolation(field, problem))
            return 0.0
        return float(value)  # type: ignore[arg-type]  # checked by _coordinate_problem

    submission = Submission(
        title=text("title", title, TITLE_MAX, required=True),
        description=text(
            "description", description, DESCRIPTION_MAX, required=False, multiline=True
        ),
        location=GeoPoint(coordinate("lat", lat, 90), coordinate("lon", lon, 180)),
        category=text("category", category, CATEGORY_MAX, required=False) or None,
        address=text("address", address, ADDRESS_MAX, required=False) or None,
        media_url=text("media_url", media_url, MEDIA_URL_MAX, required=False) or None,
        attributes=tuple(
            (code, text(f"attribute[{code}]", value, ATTRIBUTE_MAX, required=False))
            for code, value in attributes
        ),
        make_public=make_public is True,
    )
    if not isinstance(make_public, bool):
        violations.append(FieldViolation("make_public", "must be true or false"))
    if violations:
        raise InvalidArgument(violations)
    return submission


def checked_text(field: str, value: str, *, multiline: bool) -> tuple[str, str | None]:
    """`value` stripped and through the kit's clean_text: (the clean text, None), or (the
    stripped value, the problem), so a caller can collect every field's problem at once.
    Line breaks around a single-line value are only trimmed; inside it they are refused."""
    stripped = value.strip(" \t\r\n")
    try:
        return clean_text(stripped, field=field, multiline=multiline).strip(), None
    except InvalidArgument as exc:
        return stripped, exc.violations[0].description


def _text_problem(value: object, limit: int, *, required: bool) -> str | None:
    if value is None:
        return "is required" if required else None
    if not isinstance(value, str):
        return "must be a string"
    stripped = value.strip()
    if required and not stripped:
        return "is required"
    if len(stripped) > limit:
        return f"must be at most {limit} characters (got {len(stripped)})"
    return None


def _coordinate_problem(value: object, bound: int) -> str | None:
    if value is None:
        return "is required"
    # bool is an int in Python, but `true` is not a coordinate.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if not -bound <= value <= bound:
        return f"must be between {-bound} and {bound}"
    return None


_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{3,22}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_CONTACT_LIMITS = {"name": 100, "phone": 24, "email": 254, "address": 300}


def validate_contact(values: dict[str, object], *, prefix: str = "") -> Contact:
    """A reporter's contact from raw values (each optional); InvalidArgument naming each bad
    field as `prefix + name`. The values are never echoed back in the error."""
    violations: list[FieldViolation] = []
    clean: dict[str, str] = {}
    for name, limit in _CONTACT_LIMITS.items():
        value = values.get(name)
        problem = _text_problem(value, limit, required=False)
        text = value.strip() if isinstance(value, str) else ""
        if problem is None and isinstance(value, str):
            text, problem = checked_text(prefix + name, value, multiline=False)
        if problem is None and text and name == "phone" and not _PHONE.match(text):
            problem = "must be a phone number (digits, optionally +, spaces, dashes)"
        if problem is None and text and name == "email" and not _EMAIL.match(text):
            problem = "must be an email address"
        if problem:
            violations.append(FieldViolation(prefix + name, problem))
        clean[name] = text
    language = values.get("language") or None
    if language is not None and (
        not isinstance(language, str) or not _LANGUAGE.match(language.strip())
    ):
        violations.append(
            FieldViolation(prefix + "language", "must be a language tag like zh or en")
        )
    elif isinstance(language, str):
        clean["language"] = language.strip()
    if violations:
        raise InvalidArgument(violations)
    return Contact(**clean)
