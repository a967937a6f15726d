"""The console's catalogs: every key in both languages, and how a page's language is chosen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridplus.console.i18n import (
    CATALOG_DIR,
    CatalogError,
    Translator,
    load_catalogs,
    missing_keys,
    negotiate,
)


def test_every_key_is_in_chinese_and_english() -> None:
    catalogs = load_catalogs()
    assert missing_keys(catalogs) == {}
    assert len(catalogs["zh"]) > 50


def test_every_area_has_both_catalog_files() -> None:
    areas = {path.name.rsplit(".", 2)[0] for path in CATALOG_DIR.glob("*.json")}
    for area in areas:
        assert (CATALOG_DIR / f"{area}.zh.json").is_file(), area
        assert (CATALOG_DIR / f"{area}.en.json").is_file(), area


def test_a_missing_key_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.en.json").write_text(json.dumps({"a.x": "X", "a.y": "Y"}))
    (tmp_path / "a.zh.json").write_text(json.dumps({"a.x": "叉"}))
    assert missing_keys(load_catalogs(tmp_path)) == {"zh": ["a.y"]}


def test_a_key_outside_its_area_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.en.json").write_text(json.dumps({"b.x": "X"}))
    with pytest.raises(CatalogError, match=r"must start with 'a\.'"):
        load_catalogs(tmp_path)


def test_placeholders_are_filled_and_english_fills_a_gap() -> None:
    translator = Translator(
        {"en": {"a.hi": "Hi {name}", "a.only": "E"}, "zh": {"a.hi": "你好 {name}"}}
    )
    assert translator.text("zh", "a.hi", name="王") == "你好 王"
    assert translator.text("zh", "a.only") == "E"
    assert translator.text("zh", "a.none") == "a.none"


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("zh", "en", {"en": 1.0}, "zh"),
        (None, "zh", {"en": 1.0}, "zh"),
        ("fr", None, {"zh-CN": 0.9, "en": 0.5}, "zh"),
        (None, None, {"fr": 1.0}, "en"),
        (None, "xx", {"en-GB": 1.0, "zh": 0.2}, "en"),
    ],
)
def test_the_language_is_chosen_explicitly_then_remembered_then_from_the_browser(
    query: str | None, cookie: str | None, accept: dict[str, float], expected: str
) -> None:
    assert negotiate(query, cookie, accept) == expected
