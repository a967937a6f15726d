"""A household register as CSV rows (gridctl import-households): one row per person, the rows
of one household sharing its `household_key`, which makes a re-import find the same household.

    household_key,place_code,address,unit,name,phone,id_number,birth_year,care_groups
    MN0101-B1-U1-01,MN0101-B1-U1,"12 Pearl St",1-01,王秀英,13812345678,,1944,ELDERLY_ALONE

`care_groups` lists codes separated by `;`. Errors name the file's line and the column, so an
operator fixes the file where it is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gridplus.grid_registry.domain.households import HouseholdDraft, MemberDraft
from gridplus.kit.errors import FieldViolation

COLUMNS = (
    "household_key", "place_code", "address", "unit", "name", "phone", "id_number",
    "birth_year", "care_groups",
)  # fmt: skip
HOUSEHOLD_COLUMNS = ("place_code", "address", "unit")
MAX_KEY = 100
_MEMBER_FIELD = re.compile(r"^members\[(\d+)\]\.(\w+)$")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.problem}"


@dataclass
class HouseholdRows:
    """One household of the file: its key, its draft, and the line of each member."""

    key: str
    first_line: int
    draft: HouseholdDraft
    member_lines: list[int] = field(default_factory=list)

    def locate(self, violation: FieldViolation) -> RowError:
        """Where a field error of this household's draft (`members[1].phone`) is in the file."""
        match = _MEMBER_FIELD.match(violation.field)
        if match and int(match.group(1)) < len(self.member_lines):
            return RowError(
                self.member_lines[int(match.group(1))], match.group(2), violation.description
            )
        column = violation.field if violation.field in COLUMNS else ""
        return RowError(self.first_line, column, violation.description)


def missing_columns(header: Iterable[str]) -> list[str]:
    present = set(header)
    return [column for column in COLUMNS if column not in present]


def group_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
) -> tuple[list[HouseholdRows], list[RowError]]:
    """Households from (line, row) pairs, in the order of their first row, and the errors of
    rows that cannot belong to one (no key, a birth year that is no number, a household column
    that differs from the household's first row)."""
    households: dict[str, HouseholdRows] = {}
    firsts: dict[str, Mapping[str, str]] = {}
    errors: list[RowError] = []
    for line, row in rows:
        key = (row.get("household_key") or "").strip()
        if not key or len(key) > MAX_KEY:
            errors.append(
                RowError(line, "household_key", f"required, at most {MAX_KEY} characters")
            )
            continue
        year_text = (row.get("birth_year") or "").strip()
        if year_text and not year_text.isdigit():
            errors.append(RowError(line, "birth_year", "must be a year (or empty)"))
            continue
        member = MemberDraft(
            name=row.get("name") or "",
            phone=row.get("phone") or "",
            id_number=row.get("id_number") or "",
            birth_year=int(year_text or 0),
            care_groups=tuple(
                code.strip() for code in (row.get("care_groups") or "").split(";") if code.strip()
            ),
        )
        if key not in households:
            firsts[key] = row
            draft = HouseholdDraft(
                row.get("place_code") or "", row.get("address") or "", row.get("unit") or ""
            )
            households[key] = HouseholdRows(key, line, draft)
        else:
            first = households[key]
            differs = [
                c for c in HOUSEHOLD_COLUMNS if (row.get(c) or "") != (firsts[key].get(c) or "")
            ]
            if differs:
                errors.append(
                    RowError(
                        line, differs[0], f"differs from line {first.first_line}, same household"
                    )
                )
                continue
        entry = households[key]
        entry.draft = HouseholdDraft(
            entry.draft.place_code,
            entry.draft.address,
            entry.draft.unit,
            (*entry.draft.members, member),
        )
        entry.member_lines.append(line)
    return list(households.values()), errors


class RowsRefused(ValueError):
    """A file with bad rows: nothing of it was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda error: (error.line, error.column))
        super().__init__(
            f"{len(self.errors)} bad row(s), nothing imported:\n"
            + "\n".join(str(error) for error in self.errors)
        )
