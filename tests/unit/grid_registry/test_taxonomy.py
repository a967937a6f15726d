"""The category taxonomy, departments and responsibility rules: the shipped seed and the rules."""

from __future__ import annotations

import re

import pytest

from gridplus.grid_registry.domain.taxonomy import (
    Category,
    Department,
    Priority,
    ResponsibilityRule,
    Taxonomy,
    TaxonomyInvalid,
)
from gridplus.grid_registry.storage.seed_files import read_taxonomy

TOP_LEVEL = {
    "urban_rural_construction": "城乡建设",
    "agriculture_rural": "农村农业",
    "politics_law": "政法",
    "education_culture_sports": "教育文体",
    "labour_social_security": "劳动和社会保障",
    "civil_affairs": "民政",
    "party_government_affairs": "党务政务",
    "economic_management": "经济管理",
    "health_family_planning": "卫生计生",
    "commerce_tourism": "商贸旅游",
    "environmental_protection": "环境保护",
    "transport": "交通运输",
    "discipline_inspection": "纪检监察",
    "land_resources": "国土资源",
    "science_technology_it": "科技与信息产业",
    "other": "其他",
}


@pytest.fixture(scope="module")
def seed() -> Taxonomy:
    return read_taxonomy()


def test_seed_has_the_fixed_top_level_codes_first(seed: Taxonomy) -> None:
    categories = seed.categories()
    tops = [c for c in categories if c.parent_code is None]
    assert {c.code: c.name_zh for c in tops} == TOP_LEVEL
    assert categories[: len(tops)] == tops


def test_seed_levels_follow_the_chinese_csv(seed: Taxonomy) -> None:
    cn = [c for c in seed.categories() if not c.code.startswith("nyc.") and c.parent_code]
    assert sum(1 for c in cn if c.code.count(".") == 1) == 118
    assert sum(1 for c in cn if c.code.count(".") == 2) == 517
    assert all(re.fullmatch(r"[a-z_]+\.\d\d(\.\d\d)?", c.code) for c in cn)
    first = seed.category("urban_rural_construction.01")
    assert (first.name_zh, first.name_en) == ("安全生产", "Work safety")
    hazard = seed.category("urban_rural_construction.01.03")
    assert hazard.name_zh == "安全隐患"
    assert hazard.parent_code == "urban_rural_construction.01"
    assert hazard.priority is Priority.URGENT
    assert all(c.name_en for c in seed.categories())


def test_seed_nyc_complaint_types(seed: Taxonomy) -> None:
    noise = seed.category("nyc.noise_residential")
    assert (noise.name_en, noise.parent_code, noise.top_level_code) == (
        "Noise - Residential",
        "environmental_protection",
        "environmental_protection",
    )
    heat = seed.category("nyc.heat_hot_water")
    assert heat.top_level_code == "urban_rural_construction"
    assert heat.priority is Priority.URGENT and not heat.business_calendar
    assert heat.handle_sla_minutes < 24 * 60
    assert seed.category("nyc.illegal_parking").top_level_code == "transport"
    nyc = [c for c in seed.categories() if c.code.startswith("nyc.")]
    assert len(nyc) == 107


def test_administrative_categories_use_the_business_calendar(seed: Taxonomy) -> None:
    literature = seed.category("nyc.dof_literature_request")
    assert literature.priority is Priority.LOW and literature.business_calendar
    assert seed.category("party_government_affairs").business_calendar


def test_nyc_types_go_to_the_agency_seen_most(seed: Taxonomy) -> None:
    found = seed.resolve("nyc.noise_residential", ["1", "MN01", "MN0101"])
    assert found is not None
    assert found.department.code == "NYPD"
    assert "nyc.noise_residential" in found.reason and "whole city" in found.reason
    assert seed.resolve("nyc.heating") is not None
    assert seed.resolve("nyc.heating").department.code == "HPD"  # type: ignore[union-attr]


def test_every_seed_category_resolves(seed: Taxonomy) -> None:
    for category in seed.categories():
        assert seed.resolve(category.code) is not None, category.code


def test_a_level2_rule_beats_its_top_level_class(seed: Taxonomy) -> None:
    found = seed.resolve("urban_rural_construction.02.05")
    assert found is not None
    assert found.department.name_zh == "城管局"
    assert "urban_rural_construction.02" in found.reason
    assert seed.resolve("urban_rural_construction.01.01").department.name_zh == "住建局"  # type: ignore[union-attr]


def _category(code: str, parent: str | None = None, top: str | None = None) -> Category:
    return Category(code, code, code, top or code, parent, Priority.NORMAL, 60, 600, True)


def _small(rules: list[ResponsibilityRule]) -> Taxonomy:
    categories = [
        _category("env"),
        _category("env.01", "env", "env"),
        _category("env.01.01", "env.01", "env"),
    ]
    departments = [Department("CITY", "市局", "City"), Department("EAST", "东区", "East")]
    return Taxonomy(categories, departments, rules)


def test_a_grid_rule_covers_its_subtree_and_beats_city_wide() -> None:
    taxonomy = _small(
        [ResponsibilityRule("env", None, "CITY"), ResponsibilityRule("env", "E", "EAST")]
    )
    assert taxonomy.resolve("env.01.01", ["E", "E1", "E11"]).department.code == "EAST"  # type: ignore[union-attr]
    assert taxonomy.resolve("env.01.01", ["W", "W1"]).department.code == "CITY"  # type: ignore[union-attr]
    assert taxonomy.resolve("env.01.01").department.code == "CITY"  # type: ignore[union-attr]
    reason = taxonomy.resolve("env.01", ["E", "E1"]).reason  # type: ignore[union-attr]
    assert "grid subtree 'E'" in reason and "covers 'env.01'" in reason


def test_a_finer_category_beats_a_finer_grid() -> None:
    taxonomy = _small(
        [ResponsibilityRule("env", "E", "EAST"), ResponsibilityRule("env.01", None, "CITY")]
    )
    assert taxonomy.resolve("env.01.01", ["E"]).department.code == "CITY"  # type: ignore[union-attr]


def test_no_rule_resolves_to_none() -> None:
    assert _small([ResponsibilityRule("env", "E", "EAST")]).resolve("env", ["W"]) is None


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([ResponsibilityRule("nope", None, "CITY")], "unknown category"),
        ([ResponsibilityRule("env", None, "NOPE")], "unknown department"),
        (
            [ResponsibilityRule("env", None, "CITY"), ResponsibilityRule("env", None, "EAST")],
            "same category and grid",
        ),
    ],
)
def test_bad_rules_are_refused(rules: list[ResponsibilityRule], message: str) -> None:
    with pytest.raises(TaxonomyInvalid, match=message):
        _small(rules)


def test_bad_categories_are_refused() -> None:
    with pytest.raises(TaxonomyInvalid, match="does not exist"):
        Taxonomy([_category("a.01", "a", "a")], [], [])
    with pytest.raises(TaxonomyInvalid, match="duplicate"):
        Taxonomy([_category("a"), _category("a")], [], [])
    with pytest.raises(TaxonomyInvalid, match="cycle"):
        Taxonomy([_category("a"), _category("b", "c", "a"), _category("c", "b", "a")], [], [])
