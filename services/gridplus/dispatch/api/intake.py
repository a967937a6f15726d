"""What callers send dispatch, taken in: free text and codes go through the kit's clean_text
(control and bidi characters are refused naming the field) and lose surrounding blanks."""

from __future__ import annotations

from gridplus.kit.errors import InvalidArgument
from gridplus.kit.text import clean_text


def text(value: str, *, field: str, required: bool = False, multiline: bool = False) -> str:
    """A reason or a note. Reasons are one line (they become one line of the assignment's
    reasons); a whistle report's note may run over several."""
    cleaned = clean_text(value, field=field, multiline=multiline).strip()
    if required and not cleaned:
        raise InvalidArgument.single(field, "required")
    return cleaned


def code(value: str, *, field: str, required: bool = False) -> str:
    """A petition id, person id, department or category code: one line, no blanks around."""
    return text(value, field=field, required=required)


def codes(values: list[str], *, field: str) -> list[str]:
    return [code(value, field=field) for value in values]
