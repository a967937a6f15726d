"""Issue 16: the household domain without I/O — care groups and their intervals, the checks on a
household (every bad field named at once), masking, who reads what, the event's contents, the
CSV rows' line numbers and the demo register."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import box

from gridplus.grid_registry.config import ID_HASH_KEY, id_hash_key
from gridplus.grid_registry.domain import household_access as access
from gridplus.grid_registry.domain.care_groups import CareGroupsInvalid, parse_care_groups
from gridplus.grid_registry.domain.demo_households import demo_household_rows
from gridplus.grid_registry.domain.grids import GridSet, GridSpec
from gridplus.grid_registry.domain.household_rows import group_rows
from gridplus.grid_registry.domain.households import (
    Household,
    HouseholdCheck,
    HouseholdDraft,
    HouseholdMember,
    MemberDraft,
    changed,
    check_draft,
    masked,
)
from gridplus.grid_registry.domain.places import Place, PlaceKind
from gridplus.kit.config import ConfigError, Env
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.roles import Principal, Role

GROUPS = parse_care_groups(
    [
        dict(zip(("code", "name_zh", "name_en", "visit_interval_days"), row, strict=True))
        for row in (
            ("ELDERLY_ALONE", "独居老人", "Elderly", "7"),
            ("DISABLED", "残疾人", "Disabled", "14"),
            ("SUBSISTENCE", "低保户", "Subsistence", "30"),
        )
    ],
    source="test",
)
NOW = datetime(2026, 12, 4, tzinfo=UTC)
GRIDS = GridSet(
    [
        GridSpec("1", "Borough", 1, None, box(0, 0, 2, 2)),
        GridSpec("MN01", "District", 2, "1", box(0, 0, 1, 2)),
        GridSpec("MN0101", "A", 3, "MN01", box(0, 0, 1, 1)),
        GridSpec("MN0102", "B", 3, "MN01", box(0, 1, 1, 2)),
        GridSpec("MN02", "District 2", 2, "1", box(1, 0, 2, 2)),
    ]
)


def household(*members: HouseholdMember) -> Household:
    return Household(
        "h-1", "MN0101", "MN0101-B1", "Manhattan, 12 Pearl Street", "3-201", members, 4, NOW
    )


def person(member_id: str, *groups: str) -> HouseholdMember:
    return HouseholdMember(member_id, "王秀英", "13812345678", "hash", "1234", 1944, groups)


def test_a_member_in_several_groups_is_due_at_the_shortest_interval() -> None:
    assert GROUPS.shortest_interval(["SUBSISTENCE", "DISABLED"]) == 14
    assert GROUPS.shortest_interval([]) == 0
    assert [g.code for g in GROUPS.all()] == ["DISABLED", "ELDERLY_ALONE", "SUBSISTENCE"]
    with pytest.raises(CareGroupsInvalid, match="row 1: visit_interval_days"):
        parse_care_groups([{"code": "X", "visit_interval_days": "0"}], source="f")
    with pytest.raises(CareGroupsInvalid, match="row 1: code"):
        parse_care_groups([{"code": "lower", "visit_interval_days": "3"}], source="f")


def test_every_bad_field_is_named_at_once() -> None:
    draft = HouseholdDraft(
        place_code="MN0101-B1",
        address="",
        members=(
            MemberDraft(name="", phone="call me", birth_year=1800, care_groups=("ASTRONAUT",)),
            MemberDraft(name="A", id_number="12", care_groups=("DISABLED", "DISABLED")),
        ),
    )
    with pytest.raises(InvalidArgument) as error:
        check_draft(draft, GROUPS, this_year=2026, check=HouseholdCheck())
    assert {v.field for v in error.value.violations} == {
        "household.address",
        "household.members[0].name",
        "household.members[0].phone",
        "household.members[0].birth_year",
        "household.members[0].care_groups",
        "household.members[1].id_number",
        "household.members[1].care_groups",
    }
    columns = HouseholdCheck(prefix="", columns=True)
    with pytest.raises(InvalidArgument) as by_column:
        check_draft(draft, GROUPS, this_year=2026, check=columns)
    assert "birth_year" in {v.field for v in by_column.value.violations}


def test_a_good_draft_is_trimmed_and_its_id_number_upper_cased() -> None:
    draft = HouseholdDraft(
        " MN0101-B1 ",
        " 12 Pearl St ",
        "",
        (MemberDraft(" 王秀英 ", id_number="11010119450101123x"),),
    )
    checked = check_draft(draft, GROUPS, this_year=2026, check=HouseholdCheck())
    assert checked.place_code == "MN0101-B1" and checked.members[0].name == "王秀英"
    assert checked.members[0].id_number.endswith("123X")


def test_masked_households_keep_ids_and_groups_and_hide_who_and_where() -> None:
    seen = masked(household(person("m-1", "ELDERLY_ALONE")))
    member = seen.members[0]
    assert seen.masked and (member.name, member.phone, member.id_tail) == (
        "王**",
        "138****5678",
        "",
    )
    assert seen.unit == "***" and "Pearl" not in seen.address and seen.address.startswith("Manhat")
    assert member.member_id == "m-1" and member.care_groups == ("ELDERLY_ALONE",)


def test_the_event_carries_ids_groups_and_intervals_only() -> None:
    event = changed(household(person("m-1", "ELDERLY_ALONE", "DISABLED"), person("m-2")), GROUPS)
    assert [(m.member_id, m.care_groups, m.visit_interval_days) for m in event.care_members] == [
        ("m-1", ("ELDERLY_ALONE", "DISABLED"), 7)
    ]
    assert (event.member_count, event.version, event.removed) == (2, 4, False)
    assert "王秀英" not in repr(event) and "13812345678" not in repr(event)


@pytest.mark.parametrize(
    ("principal", "reach", "full", "change"),
    [
        (Principal("w", Role.GRID_WORKER, ("MN0101",)), True, True, True),
        (Principal("c", Role.GRID_CHIEF, ("MN01",)), True, True, True),
        (Principal("w2", Role.GRID_WORKER, ("MN0102",)), False, False, False),
        (Principal("c2", Role.GRID_CHIEF, ("MN02",)), False, False, False),
        (Principal("w3", Role.GRID_WORKER, ()), False, False, False),
        (Principal("i", Role.INSPECTOR), True, False, False),
        (Principal("s", Role.SERVICE), True, False, False),
        (Principal("a", Role.ADMIN), True, True, True),
        (Principal("r", Role.RESIDENT), False, False, False),
        (Principal("d", Role.DEPARTMENT_STAFF, department="NYPD"), False, False, False),
    ],
)
def test_who_reaches_reads_in_full_and_changes_a_household(
    principal: Principal, reach: bool, full: bool, change: bool
) -> None:
    assert access.in_scope(principal, "MN0101", GRIDS) is reach
    assert access.sees_full(principal, "MN0101", GRIDS) is full
    assert access.may_change(principal, "MN0101", GRIDS) is change


def test_chiefs_read_the_access_log_of_their_subtree_only() -> None:
    assert access.may_read_log(Principal("c", Role.GRID_CHIEF, ("MN01",)), "MN0101", GRIDS)
    assert not access.may_read_log(Principal("c", Role.GRID_CHIEF, ("MN02",)), "MN0101", GRIDS)
    assert not access.may_read_log(Principal("w", Role.GRID_WORKER, ("MN0101",)), "MN0101", GRIDS)
    assert access.may_read_log(Principal("i", Role.INSPECTOR), "MN0101", GRIDS)


def test_rows_of_one_household_must_agree_and_errors_keep_their_lines() -> None:
    base = {"household_key": "h", "place_code": "P", "address": "A", "unit": "", "name": "N"}
    found, errors = group_rows(
        [
            (2, base),
            (3, {**base, "name": "M", "birth_year": "1990"}),
            (4, {**base, "address": "B"}),
            (5, {**base, "household_key": ""}),
            (6, {**base, "birth_year": "nineteen"}),
        ]
    )
    assert [(e.line, e.column) for e in errors] == [
        (4, "address"),
        (5, "household_key"),
        (6, "birth_year"),
    ]
    assert found[0].member_lines == [2, 3] and len(found[0].draft.members) == 2


def test_the_demo_register_is_the_same_for_a_seed() -> None:
    places = [
        Place("G-B1", "Building", PlaceKind.BUILDING, "G"),
        Place("G-B1-U1", "Unit 1", PlaceKind.UNIT, "G", "G-B1"),
        Place("G-B1-U2", "Unit 2", PlaceKind.UNIT, "G", "G-B1"),
        Place("H-B1", "Building", PlaceKind.BUILDING, "H"),
    ]
    rows = demo_household_rows(places, per_unit=3, seed=1)
    assert rows == demo_household_rows(places, per_unit=3, seed=1)
    assert rows != demo_household_rows(places, per_unit=3, seed=2)
    assert {r["place_code"] for r in rows} == {"G-B1-U1", "G-B1-U2", "H-B1"}
    assert len({r["household_key"] for r in rows}) == 9


def test_the_id_hash_key_never_follows_a_rotating_ring(tmp_path: Path) -> None:
    pii = base64.b64encode(bytes(range(32))).decode()
    own = base64.b64encode(bytes(range(1, 41))).decode()
    assert id_hash_key(Env({ID_HASH_KEY: own}), tmp_path) == bytes(range(1, 41))
    derived = id_hash_key(Env({"GRIDPLUS_PII_KEY": pii}), tmp_path)
    assert len(derived) == 32 and derived == id_hash_key(Env({"GRIDPLUS_PII_KEY": pii}), tmp_path)
    with pytest.raises(ConfigError, match=ID_HASH_KEY):
        id_hash_key(Env({"GRIDPLUS_PII_KEYS": f"k1:{pii}"}), tmp_path)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        id_hash_key(Env({ID_HASH_KEY: base64.b64encode(b"short").decode()}), tmp_path)
    development = id_hash_key(Env({}), tmp_path)
    assert development == id_hash_key(Env({}), tmp_path) and (tmp_path / "id-hash-key").exists()
