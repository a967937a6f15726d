"""Validation of a new petition: every bad field is named, with what is wrong with it."""

from __future__ import annotations

import math

import pytest

from gridplus.kit.errors import InvalidArgument
from gridplus.petition.domain.submission import validate_contact, validate_submission
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


# ---- text cleaning (issue 18): control and bidi characters are refused, naming the field ----

SPOOFS = ["\u202e", "\u2066", "\x00", "\x1b", "\u200f"]


@pytest.mark.parametrize("bad", SPOOFS)
@pytest.mark.parametrize("field", ["title", "description", "category"])
def test_control_and_bidi_characters_are_refused_in_each_text_field(bad: str, field: str) -> None:
    found = violations(**{field: f"lamp{bad}gnp.exe"})
    assert list(found) == [field]
    assert f"U+{ord(bad):04X}" in found[field]


def test_newlines_only_in_the_description() -> None:
    submission = validate_submission(**{**GOOD, "description": "line one\r\nline two\n"})
    assert submission.description == "line one\nline two"
    assert "U+000A" in violations(title="lamp\nout")["title"]
    # Around a single-line value they are only trimmed (a form's trailing newline).
    assert validate_submission(**{**GOOD, "title": "lamp out\r\n"}).title == "lamp out"


def test_open311_extras_are_cleaned_and_named() -> None:
    found = violations(
        address="1 Centre St\u202e", media_url="https://x\x00", attributes=(("urgency", "a\nb"),)
    )
    assert set(found) == {"address", "media_url", "attribute[urgency]"}


def test_the_reporter_chooses_to_publish_with_a_boolean() -> None:
    assert validate_submission(**GOOD).make_public is False
    assert validate_submission(**{**GOOD, "make_public": True}).make_public is True
    assert "true or false" in violations(make_public="yes")["make_public"]


@pytest.mark.parametrize("field", ["name", "phone", "email", "address"])
def test_contact_fields_refuse_control_and_bidi_characters(field: str) -> None:
    values = {"name": "张三", "phone": "13812345678", "email": "a@example.org", "address": "x"}
    with pytest.raises(InvalidArgument) as bad:
        validate_contact({**values, field: values[field] + "\u202e"}, prefix="contact.")
    [violation] = bad.value.violations
    assert violation.field == f"contact.{field}" and "U+202E" in violation.description
