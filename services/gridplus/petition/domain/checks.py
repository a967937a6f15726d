"""Checks the Petition aggregate makes on what it is given: every problem is a FieldViolation
naming the field, raised together as one InvalidArgument before anything changes."""

from __future__ import annotations

from datetime import datetime

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.petition.domain.submission import CATEGORY_MAX, NOTE_MAX, checked_text


def check(*checks: tuple[str, str | None]) -> None:
    """Raise InvalidArgument for every (field, problem) whose problem is not None."""
    violations = [FieldViolation(name, problem) for name, problem in checks if problem]
    if violations:
        raise InvalidArgument(violations)


def clean_note(note: str, *, required: bool, field: str = "note") -> str:
    """A note or reason from a person, stripped; refused (naming `field`) when missing, too
    long, or holding control or bidi characters (newlines are kept)."""
    cleaned, problem = checked_note(note, required=required, field=field)
    check((field, problem))
    return cleaned


def checked_note(note: str, *, required: bool, field: str = "note") -> tuple[str, str | None]:
    """(the clean note, None), or (the note, what is wrong with it) to report with others."""
    if required and not note.strip():
        return note, "is required"
    if len(note.strip()) > NOTE_MAX:
        return note, f"must be at most {NOTE_MAX} characters"
    return checked_text(field, note, multiline=True)


def category_problem(category: str | None) -> str | None:
    """What is wrong with a category code staff give, if anything (None: keep the current)."""
    if not category:
        return None
    if len(category) > CATEGORY_MAX:
        return f"must be at most {CATEGORY_MAX} characters"
    return checked_text("category", category, multiline=False)[1]


def aware_problem(instant: datetime) -> str | None:
    return None if instant.tzinfo is not None else "must carry a UTC offset"


def require_aware(name: str, instant: datetime) -> None:
    check((name, aware_problem(instant)))
