"""Validation of a new petition: every bad field is named, with what is wrong with it."""

from __future__ import annotations

import math

import pytest

from gridplus.kit.errors import InvalidArgument
from gridplus.petition.domain.submission import validate_submission
from gridplus.petition.domain.values import GeoPoint

GOOD = {"title": "路灯不亮", "description": "gate 3", "lat": 39.9, "lon": 116.4, "category": None}


def violations(**changes: object) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as bad:
        validate_submission(**{**GOOD, **changes})
    return {v.field: v.description for v in bad.value.violations}


def test_a_good_submission_is_cleaned_up() -> None:
    submission = validate_submission(
        title="  路灯不亮 ", description=None, lat=90, lon=-180, category="  "
    )
    assert submission.title == "路灯不亮"
    assert submission.description == ""
    assert submission.location == GeoPoint(90.0, -180.0)
    assert submission.category is None  # dispatch chooses


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("title", None, "is required"),
        ("title", "   ", "is required"),
        ("title", "x" * 201, "at most 200"),
        ("title", 42, "must be a string"),
        ("description", "x" * 5001, "at most 5000"),
        ("category", "c" * 65, "at most 64"),
        ("category", ["streetlight"], "must be a string"),
        ("lat", None, "is required"),
        ("lat", "39.9", "must be a number"),
        ("lat", True, "must be a number"),
        ("lat", math.nan, "finite"),
        ("lat", 90.0001, "between -90 and 90"),
        ("lon", -180.5, "between -180 and 180"),
        ("lon", 10**400, "between -180 and 180"),  # JSON allows it; float() would overflow
        ("lon", False, "must be a number"),
        ("lon", math.inf, "finite"),
    ],
)
def test_each_bad_field_is_named(field: str, value: object, says: str) -> None:
    found = violations(**{field: value})
    assert list(found) == [field]
    assert says in found[field]


def test_all_bad_fields_are_reported_at_once() -> None:
    found = violations(title="", lat="north", lon=None, description=7)
    assert set(found) == {"title", "description", "lat", "lon"}


def test_limits_are_inclusive() -> None:
    submission = validate_submission(
        title="t" * 200, description="d" * 5000, lat=-90, lon=180, category="c" * 64
    )
    assert len(submission.title) == 200 and submission.category == "c" * 64
