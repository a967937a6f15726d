"""What a new petition must contain, checked field by field so the caller learns every mistake
at once (one FieldViolation per bad field)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.petition.domain.values import GeoPoint

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
CATEGORY_MAX = 64


@dataclass(frozen=True)
class Submission:
    title: str
    description: str
    location: GeoPoint
    category: str | None  # None: dispatch chooses


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
