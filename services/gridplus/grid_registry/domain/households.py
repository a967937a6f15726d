"""Households (户) under a building or unit of a smallest grid, their members, and the care
register (members in care groups). Pure values and checks; sealing, hashing and storage are
elsewhere (storage/households.py).

A household as the caller writes it is a `HouseholdDraft` (the ID number in clear); as stored and
read it is a `Household` (only the ID number's keyed hash and its last four characters).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from gridplus.grid_registry.domain.care_groups import CareGroups
from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.kit.masking import mask_address, mask_name, mask_phone, mask_unit
from gridplus.kit.text import offending_character

MAX_MEMBERS = 30
MAX_ADDRESS = 200
MAX_UNIT = 50
MAX_NAME = 100
MIN_BIRTH_YEAR = 1900
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{3,24}$")
_ID_NUMBER = re.compile(r"^[0-9A-Za-z]{6,30}$")


@dataclass(frozen=True)
class MemberDraft:
    """One person as a caller gives them; `member_id` keeps a member's id on update."""

    name: str
    phone: str = ""
    id_number: str = ""
    birth_year: int = 0
    care_groups: tuple[str, ...] = ()
    member_id: str = ""


@dataclass(frozen=True)
class HouseholdDraft:
    place_code: str
    address: str
    unit: str = ""
    members: tuple[MemberDraft, ...] = ()


@dataclass(frozen=True)
class HouseholdMember:
    member_id: str
    name: str
    phone: str
    id_hash: str  # keyed hash of the ID number ("" when none was given)
    id_tail: str  # its last four characters
    birth_year: int
    care_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Household:
    household_id: str
    grid_code: str
    place_code: str
    address: str
    unit: str
    members: tuple[HouseholdMember, ...]
    version: int
    updated_at: datetime
    removed: bool = False
    masked: bool = False

    @property
    def has_care_members(self) -> bool:
        return any(member.care_groups for member in self.members)


@dataclass(frozen=True)
class CareMember:
    member_id: str
    care_groups: tuple[str, ...]
    visit_interval_days: int


@dataclass(frozen=True)
class HouseholdChanged:
    """What other services learn of a change: ids, places and care groups, no personal data."""

    household_id: str
    grid_code: str
    place_code: str
    care_members: tuple[CareMember, ...]
    member_count: int
    removed: bool
    changed_at: datetime
    version: int


@dataclass(frozen=True)
class HouseholdCheck:
    """How a draft's fields are named in errors: `household.members[0].name` over gRPC; the
    CSV column alone (`name`) on import, where the line number says which member."""

    prefix: str = "household."
    columns: bool = False

    def name(self, path: str) -> str:
        return path.rsplit(".", 1)[-1] if self.columns else self.prefix + path


def check_draft(
    draft: HouseholdDraft, groups: CareGroups, *, this_year: int, check: HouseholdCheck
) -> HouseholdDraft:
    """The draft with text trimmed and ID numbers upper-cased, or InvalidArgument naming every
    bad field (all of them at once, so a caller fixes the record in one go)."""
    bad: list[FieldViolation] = []

    def text(path: str, value: str, limit: int, *, required: bool) -> str:
        value = value.strip()
        if required and not value:
            bad.append(FieldViolation(check.name(path), "required"))
        elif len(value) > limit:
            bad.append(FieldViolation(check.name(path), f"at most {limit} characters"))
        elif (char := offending_character(value)) is not None:
            bad.append(FieldViolation(check.name(path), f"must not contain U+{ord(char):04X}"))
        return value

    place = text("place_code", draft.place_code, 50, required=True)
    address = text("address", draft.address, MAX_ADDRESS, required=True)
    unit = text("unit", draft.unit, MAX_UNIT, required=False)
    if not draft.members:
        bad.append(FieldViolation(check.name("members"), "a household has at least one member"))
    if len(draft.members) > MAX_MEMBERS:
        bad.append(FieldViolation(check.name("members"), f"at most {MAX_MEMBERS} members"))
    members = []
    seen_ids: set[str] = set()
    for index, member in enumerate(draft.members):
        at = f"members[{index}]"
        name = text(f"{at}.name", member.name, MAX_NAME, required=True)
        phone = member.phone.strip()
        if phone and not _PHONE.match(phone):
            bad.append(FieldViolation(check.name(f"{at}.phone"), "must be a phone number"))
        id_number = member.id_number.strip().upper()
        if id_number and not _ID_NUMBER.match(id_number):
            bad.append(FieldViolation(check.name(f"{at}.id_number"), "must be 6-30 letters/digits"))
        elif id_number and id_number in seen_ids:
            bad.append(FieldViolation(check.name(f"{at}.id_number"), "repeats another member's"))
        seen_ids.add(id_number)
        if member.birth_year and not MIN_BIRTH_YEAR <= member.birth_year <= this_year:
            bad.append(
                FieldViolation(
                    check.name(f"{at}.birth_year"),
                    f"must be {MIN_BIRTH_YEAR}..{this_year} (0 = unknown)",
                )
            )
        bad.extend(_group_violations(member.care_groups, groups, check.name(f"{at}.care_groups")))
        members.append(replace(member, name=name, phone=phone, id_number=id_number))
    if bad:
        raise InvalidArgument(bad)
    return HouseholdDraft(place, address, unit, tuple(members))


def _group_violations(codes: Sequence[str], groups: CareGroups, name: str) -> list[FieldViolation]:
    unknown = [code for code in codes if code not in groups]
    if unknown:
        known = ", ".join(group.code for group in groups.all())
        return [FieldViolation(name, f"unknown care group {unknown[0]!r} (known: {known})")]
    if len(set(codes)) != len(codes):
        return [FieldViolation(name, "lists a care group twice")]
    return []


def masked(household: Household) -> Household:
    """The household as a caller who may not see personal data reads it."""
    return replace(
        household,
        address=mask_address(household.address),
        unit=mask_unit(household.unit),
        members=tuple(
            replace(member, name=mask_name(member.name), phone=mask_phone(member.phone), id_tail="")
            for member in household.members
        ),
        masked=True,
    )


def changed(household: Household, groups: CareGroups) -> HouseholdChanged:
    """The event for the household's current state (removed or not)."""
    return HouseholdChanged(
        household_id=household.household_id,
        grid_code=household.grid_code,
        place_code=household.place_code,
        care_members=tuple(
            CareMember(m.member_id, m.care_groups, groups.shortest_interval(m.care_groups))
            for m in household.members
            if m.care_groups
        ),
        member_count=0 if household.removed else len(household.members),
        removed=household.removed,
        changed_at=household.updated_at,
        version=household.version,
    )
