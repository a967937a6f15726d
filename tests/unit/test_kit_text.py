"""Free text with control or bidi characters is refused, naming the field and the character."""

from __future__ import annotations

import pytest

from gridplus.kit.errors import InvalidArgument
from gridplus.kit.text import clean_optional, clean_text


@pytest.mark.parametrize(
    "bad",
    [
        "\x00",
        "\x1b[31m",
        "\x7f",
        "\x85",
        "\u202e",
        "\u202a",
        "\u2066",
        "\u2069",
        "\u200f",
        "\ufeff",
    ],
)
def test_control_and_bidi_characters_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        clean_text(f"pothole{bad}gnp.exe", field="description", multiline=True)
    (violation,) = caught.value.violations
    assert violation.field == "description"
    assert f"U+{ord(bad[0]):04X}" in violation.description


def test_newlines_only_in_multiline_fields() -> None:
    assert clean_text("line one\r\nline two\rthree", field="d", multiline=True) == (
        "line one\nline two\nthree"
    )
    with pytest.raises(InvalidArgument, match="title: must not contain U\\+000A"):
        clean_text("a\nb", field="title")


def test_ordinary_text_in_any_script_passes_unchanged() -> None:
    text = "路灯不亮 — Straßenlaterne\tkaputt 👩‍👩‍👧 مرحبا"
    assert clean_text(text, field="description") == text
    assert clean_optional(None, field="x") is None
