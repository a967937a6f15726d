"""The text classifier trained from the repository's data: Chinese top-level classes (by the
Chinese names the data labels them with; grid-registry gives their codes) and NYC complaint types
(`nyc.<slug>` codes), with a confidence the triage threshold can use."""

from __future__ import annotations

import pytest

from gridplus.dispatch.domain.categories import nyc_code
from gridplus.dispatch.domain.classifier import TextClassifier, is_chinese
from gridplus.dispatch.storage.training import trained_classifier


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    return trained_classifier()


def test_chinese_petitions_get_a_top_level_class(classifier: TextClassifier) -> None:
    bus = classifier.predict("公交线路调整", "公交车站点撤了，老人坐车要走很远，希望恢复公交站点")
    assert (bus.label, bus.language) == ("交通运输", "zh")
    wages = classifier.predict("拖欠工资", "公司拖欠农民工工资三个月，社保也没有缴纳")
    assert wages.label == "劳动和社会保障"
    assert 0 < wages.confidence <= 1


def test_english_petitions_get_an_nyc_complaint_type(classifier: TextClassifier) -> None:
    heat = classifier.predict("No heat", "apartment has no heat and no hot water")
    assert (heat.label, heat.language) == ("nyc.heat_hot_water", "en")
    assert heat.confidence > 0.5


def test_text_that_matches_nothing_gets_a_low_confidence(classifier: TextClassifier) -> None:
    assert classifier.predict("hello", "something happened").confidence < 0.3


def test_language_is_told_by_chinese_characters() -> None:
    assert is_chinese("路灯坏了")
    assert not is_chinese("street light out, 1")


def test_nyc_complaint_types_become_slug_codes() -> None:
    assert nyc_code("Noise - Residential") == "nyc.noise_residential"
    assert nyc_code("HEAT/HOT WATER") == "nyc.heat_hot_water"
    assert nyc_code("  Street Light Condition ") == "nyc.street_light_condition"
