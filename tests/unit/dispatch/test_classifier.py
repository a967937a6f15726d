"""The text classifier trained from the repository's data: Chinese top-level classes (by the
Chinese names the data labels them with; grid-registry gives their codes) and NYC complaint types
(`nyc.<slug>` codes), with a confidence the triage threshold can use."""

from __future__ import annotations

import numpy as np
import pytest

from gridplus.dispatch.domain import classifier as c
from gridplus.dispatch.domain.categories import nyc_code
from gridplus.dispatch.domain.classifier import TextClassifier, is_chinese
from gridplus.dispatch.storage.training import trained_classifier, training_rows


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


def test_the_compact_models_rank_as_the_fitted_pipelines_on_all_training_texts() -> None:
    """Predictions use the pipelines' arrays with numpy only: the same top three (and the same
    scores, to rounding) as scikit-learn's `decision_function` on every training text."""
    rows = training_rows()
    petitions = c.chinese_petitions(rows.cn_petitions)
    chinese = c._join(petitions, c.chinese_taxonomy(rows.cn_taxonomy, set(petitions.labels)))
    english = c.nyc_examples(rows.nyc311_types)
    for pipeline, examples, language in (
        (c._fit(c.chinese_model(), chinese), chinese, "zh"),
        (c._fit(c.english_model(), english), english, "en"),
    ):
        compact = c.compact(pipeline)
        expected = np.atleast_2d(pipeline.decision_function(examples.texts))
        for text, scores in zip(examples.texts, expected, strict=True):
            assert np.allclose(compact.decision(text), scores, rtol=0, atol=1e-9)
            if len(scores) == 1:
                scores = np.hstack([-scores, scores])
            order = np.argsort(-scores, kind="stable")[: c.SUGGESTIONS]
            best = [label for label, _ in c.ranked(compact, text, c._TEMPERATURE[language])]
            assert best == [str(pipeline.classes_[i]) for i in order]
