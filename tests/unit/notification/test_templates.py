"""Template language choice and completeness."""

from __future__ import annotations

import string

import pytest

from gridplus.notification.domain.notices import NoticeKind
from gridplus.notification.domain.templates import EN, TEMPLATES, ZH_CN, language_of, render


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        (None, ZH_CN),
        ("", ZH_CN),
        ("zh-CN", ZH_CN),
        ("zh", ZH_CN),
        ("en", EN),
        ("en-GB", EN),
        ("EN-us", EN),
        ("fr-FR", ZH_CN),
    ],
)
def test_language_choice_falls_back_to_chinese(tag: str | None, language: str) -> None:
    assert language_of(tag) == language


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_has_chinese_and_english_with_the_same_fields(kind: NoticeKind) -> None:
    pair = TEMPLATES[kind]
    assert set(pair) == {ZH_CN, EN}

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert fields(pair[ZH_CN].body) == fields(pair[EN].body)
    assert fields(pair[ZH_CN].title) == fields(pair[EN].title)


def test_render_fills_the_fields() -> None:
    title, body = render(
        NoticeKind.PETITION_ASSIGNED, "en", grid_code="G-9", deadline="2025-01-01 00:00 UTC"
    )
    assert title == "New petition to verify"
    assert "G-9" in body and "2025-01-01 00:00 UTC" in body
