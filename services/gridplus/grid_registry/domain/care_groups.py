"""Care groups (5类人群): residents who need regular visits, each group with its visit interval.

The groups are configurable (seed/care_groups.csv, or a city's own file): codes are checked
once when the file is read, and a member in several groups is due a visit at the shortest
interval among them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,49}$")
MAX_INTERVAL_DAYS = 366


class CareGroupsInvalid(ValueError):
    """A care-group file that cannot be used; the message names the row and column."""


@dataclass(frozen=True)
class CareGroup:
    code: str
    name_zh: str
    name_en: str
    visit_interval_days: int


class CareGroups:
    """The configured groups, by code, listed in code order."""

    def __init__(self, groups: Iterable[CareGroup]) -> None:
        self._by_code: dict[str, CareGroup] = {}
        for group in groups:
            if group.code in self._by_code:
                raise CareGroupsInvalid(f"care group {group.code!r} is listed twice")
            self._by_code[group.code] = group
        if not self._by_code:
            raise CareGroupsInvalid("no care group is configured")

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def all(self) -> list[CareGroup]:
        return [self._by_code[code] for code in sorted(self._by_code)]

    def get(self, code: str) -> CareGroup:
        return self._by_code[code]

    def shortest_interval(self, codes: Iterable[str]) -> int:
        """Days between visits for a member in `codes` (0 when in none)."""
        days = [self._by_code[code].visit_interval_days for code in codes if code in self]
        return min(days, default=0)


def parse_care_groups(rows: Iterable[Mapping[str, str]], *, source: str) -> CareGroups:
    """Groups from CSV rows (code, name_zh, name_en, visit_interval_days); row numbers count
    the data rows from 1, as a reader of the file counts them."""
    groups = []
    for number, row in enumerate(rows, start=1):
        code = (row.get("code") or "").strip()
        if not _CODE.match(code):
            raise CareGroupsInvalid(f"{source} row {number}: code {code!r} must be UPPER_SNAKE")
        interval = (row.get("visit_interval_days") or "").strip()
        if not interval.isdigit() or not 1 <= int(interval) <= MAX_INTERVAL_DAYS:
            raise CareGroupsInvalid(
                f"{source} row {number}: visit_interval_days must be 1..{MAX_INTERVAL_DAYS}"
            )
        groups.append(
            CareGroup(
                code,
                (row.get("name_zh") or "").strip(),
                (row.get("name_en") or "").strip(),
                int(interval),
            )
        )
    return CareGroups(groups)
