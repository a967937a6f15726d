"""The first keyword classifier, on Chinese and English petitions."""

from __future__ import annotations

import pytest

from gridplus.dispatch.domain.categories import categorise, classify


@pytest.mark.parametrize(
    ("title", "description", "category"),
    [
        ("小区夜间施工噪音扰民", "每天晚上十一点以后还在施工，吵得无法入睡", "noise"),
        ("路灯不亮", "幸福路口的路灯坏了一个月，晚上很黑", "street_light"),
        ("垃圾堆放无人清理", "楼下垃圾桶满了好几天", "sanitation"),
        ("三楼卫生间漏水", "楼上漏水渗到我家天花板", "water"),
        ("小区门口乱停车", "车辆违停堵住了消防通道", "parking"),
        ("Loud music every night", "The bar next door is noisy until 3 am", "noise"),
        ("Streetlight out", "The street lamp on 5th Ave has been dark for a week", "street_light"),
        ("Garbage not collected", "Trash bags piling up on the sidewalk", "sanitation"),
        ("Water leak", "A burst pipe is flooding the basement", "water"),
        ("Double-parked trucks", "Parking on the bike lane every morning", "parking"),
        ("希望增加公交线路", "上班太远，希望开通新线路", "other"),
        ("Pothole on Main St", "Deep hole near the crossing", "other"),
    ],
)
def test_keywords_choose_the_category(title: str, description: str, category: str) -> None:
    assert classify(title, description).category == category


def test_the_category_that_matches_most_keywords_wins() -> None:
    # One parking word, three noise words: a noise complaint that mentions a car park.
    result = classify("停车场夜里噪音", "汽车警报噪声扰民")
    assert result.category == "noise"
    assert result.reason == "category noise by keyword rules (噪音, 噪声, 扰民)"


def test_english_words_match_whole_words_only() -> None:
    assert classify("Sparking cable", "wires sparkling").category == "other"


def test_no_match_says_why() -> None:
    assert classify("", "").reason == "category other: no keyword rule matched"


def test_the_reporters_category_is_kept() -> None:
    result = categorise(" parking ", "路灯不亮", "")
    assert result.category == "parking"
    assert result.reason == "category parking given by the reporter"


def test_without_a_reporter_category_the_rules_decide() -> None:
    assert categorise("", "路灯不亮", "").category == "street_light"
