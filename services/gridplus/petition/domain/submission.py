"""What a new petition must contain, checked field by field so the caller learns every mistake
at once (one FieldViolation per bad field)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.petition.domain.values import Contact, GeoPoint

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
CATEGORY_MAX = 64
NOTE_MAX = 2000


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


def validate_submission(
    *, title: object, description: object, lat: object, lon: object, category: object
) -> Submission:
    """Check raw values (from JSON or protobuf); raises InvalidArgument naming each bad field."""
    violations: list[FieldViolation] = []

    def text(field: str, value: object, limit: int, *, required: bool) -> str:
        problem = _text_problem(value, limit, required=required)
        if problem:
            violations.append(FieldViolation(field, problem))
        return value.strip() if isinstance(value, str) else ""

    def coordinate(field: str, value: object, bound: int) -> float:
        problem = _coordinate_problem(value, bound)
        if problem:
            violations.append(FieldViolation(field, problem))
            return 0.0
        return float(value)  # type: ignore[arg-type]  # checked by _coordinate_problem

    submission = Submission(
        title=text("title", title, TITLE_MAX, required=True),
        description=text("description", description, DESCRIPTION_MAX, required=False),
        location=GeoPoint(coordinate("lat", lat, 90), coordinate("lon", lon, 180)),
        category=text("category", category, CATEGORY_MAX, required=False) or None,
    )
    if violations:
        raise InvalidArgument(violations)
    return submission


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
