"""Checks the Petition aggregate makes on what it is given: every problem is a FieldViolation
naming the field, raised together as one InvalidArgument before anything changes."""

from __future__ import annotations

from datetime import datetime

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.petition.domain.submission import NOTE_MAX, checked_text


def check(*checks: tuple[str, str | None]) -> None:
    """Raise InvalidArgument for every (field, problem) whose problem is not None."""
    violations = [FieldViolation(name, problem) for name, problem in checks if problem]
    if violations:
        raise InvalidArgument(violations)


def clean_note(note: str, *, required: bool, field: str = "note") -> str:
    """A note or reason from a person, stripped; refused (naming `field`) when missing, too
    long, or holding control or bidi characters (newlines are kept)."""
    problem = None
    if required and not note.strip():
        problem = "is required"
    elif len(note.strip()) > NOTE_MAX:
        problem = f"must be at most {NOTE_MAX} characters"
    cleaned, problem = (note, problem) if problem else checked_text(field, note, multiline=True)
    check((field, problem))
    return cleaned


def aware_problem(instant: datetime) -> str | None:
    return None if instant.tzinfo is not None else "must carry a UTC offset"


def require_aware(name: str, instant: datetime) -> None:
    check((name, aware_problem(instant)))
