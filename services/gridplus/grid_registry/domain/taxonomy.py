"""The petition category taxonomy, the departments (职能部门) and who is responsible for what.

Pure domain code. A `Taxonomy` holds categories (a forest: top-level classes and their
subcategories), departments and responsibility rules, checks they fit together, and resolves the
department for a category in a grid:

- a rule names a category (covering that category and every category below it) and optionally a
  grid (covering that grid's subtree; no grid = the whole city);
- the most specific rule wins: first the closest category (the category itself, then its parent,
  up to its top-level class), then for that category the closest grid (the grid itself, then its
  ancestors, then city-wide). A finer category beats a finer grid because the kind of problem
  decides which body handles it; the place only splits a body's work by district.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from gridplus.grid_registry.domain.grids import GridError


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TaxonomyInvalid(GridError):
    """Categories, departments or rules that do not fit together; `key` names the offender."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class UnknownCategory(GridError, KeyError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown category {self.code!r}"


class UnknownDepartment(GridError, KeyError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown department {self.code!r}"


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    parent_code: str | None
    priority: Priority
    verify_sla_minutes: int
    handle_sla_minutes: int
    # True: the limits count working time only; False: wall-clock time.
    business_calendar: bool


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str
    head_person_id: str | None = None


@dataclass(frozen=True)
class ResponsibilityRule:
    """Petitions of `category_code` (and its subcategories) in `grid_code`'s subtree (None: the
    whole city) go to `department_code`."""

    category_code: str
    grid_code: str | None
    department_code: str


@dataclass(frozen=True)
class Responsibility:
    department: Department
    rule: ResponsibilityRule
    reason: str


class Taxonomy:
    """Validated categories, departments and rules; categories keep their given order."""

    def __init__(
        self,
        categories: Iterable[Category],
        departments: Iterable[Department],
        rules: Iterable[ResponsibilityRule],
    ) -> None:
        self._categories = _index_categories(categories)
        self._departments: dict[str, Department] = {}
        for department in departments:
            _check_code(department.code, "department")
            if department.code in self._departments:
                raise TaxonomyInvalid(f"departments[{department.code}]", "duplicate code")
            self._departments[department.code] = department
        self._rules: dict[tuple[str, str | None], ResponsibilityRule] = {}
        for rule in rules:
            self._add_rule(rule)

    def _add_rule(self, rule: ResponsibilityRule) -> None:
        key = f"rules[{rule.category_code}@{rule.grid_code or 'city'}]"
        if rule.category_code not in self._categories:
            raise TaxonomyInvalid(key, f"unknown category {rule.category_code!r}")
        if rule.department_code not in self._departments:
            raise TaxonomyInvalid(key, f"unknown department {rule.department_code!r}")
        if (rule.category_code, rule.grid_code) in self._rules:
            raise TaxonomyInvalid(key, "two rules for the same category and grid")
        self._rules[(rule.category_code, rule.grid_code)] = rule

    # -- queries -----------------------------------------------------------------------------

    def categories(self) -> list[Category]:
        """Every category, top-level classes first, then the rest in their given order."""
        values = list(self._categories.values())
        return [c for c in values if c.parent_code is None] + [
            c for c in values if c.parent_code is not None
        ]

    def category(self, code: str) -> Category:
        try:
            return self._categories[code]
        except KeyError:
            raise UnknownCategory(code) from None

    def departments(self) -> list[Department]:
        return list(self._departments.values())

    def department(self, code: str) -> Department:
        try:
            return self._departments[code]
        except KeyError:
            raise UnknownDepartment(code) from None

    def rules(self) -> list[ResponsibilityRule]:
        return list(self._rules.values())

    def lineage(self, code: str) -> list[str]:
        """The category, its parent, ... up to its top-level class."""
        codes = [self.category(code).code]
        while (parent := self._categories[codes[-1]].parent_code) is not None:
            codes.append(parent)
        return codes

    def resolve(self, category_code: str, grid_path: Sequence[str] = ()) -> Responsibility | None:
        """The department for `category_code` at the grid whose path (level 1 first) is given.

        An empty path means no grid is known: only city-wide rules apply. None: no rule matches.
        """
        places: list[str | None] = [*reversed(grid_path), None]
        for category in self.lineage(category_code):
            for grid in places:
                rule = self._rules.get((category, grid))
                if rule is not None:
                    return Responsibility(
                        self._departments[rule.department_code],
                        rule,
                        _reason(rule, category_code, self._departments[rule.department_code]),
                    )
        return None


def _reason(rule: ResponsibilityRule, asked: str, department: Department) -> str:
    what = (
        f"category {rule.category_code!r}"
        if rule.category_code == asked
        else f"category {rule.category_code!r} (which covers {asked!r})"
    )
    where = "the whole city" if rule.grid_code is None else f"grid subtree {rule.grid_code!r}"
    names = f"{department.name_en} / {department.name_zh}"
    return f"rule: {what} in {where} -> {department.code} ({names})"


def _check_code(code: str, what: str) -> None:
    if not code or code != code.strip():
        raise TaxonomyInvalid(f"{what}[{code}]", "code must be non-empty without spaces around it")


def _index_categories(categories: Iterable[Category]) -> dict[str, Category]:
    by_code: dict[str, Category] = {}
    for category in categories:
        _check_code(category.code, "categories")
        key = f"categories[{category.code}]"
        if category.code in by_code:
            raise TaxonomyInvalid(key, "duplicate code")
        if category.verify_sla_minutes <= 0 or category.handle_sla_minutes <= 0:
            raise TaxonomyInvalid(key, "SLA minutes must be positive")
        by_code[category.code] = category
    for category in by_code.values():
        key = f"categories[{category.code}]"
        if category.parent_code is None:
            if category.top_level_code != category.code:
                raise TaxonomyInvalid(key, "a top-level class is its own top_level_code")
            continue
        parent = by_code.get(category.parent_code)
        if parent is None:
            raise TaxonomyInvalid(key, f"parent {category.parent_code!r} does not exist")
        if parent.top_level_code != category.top_level_code:
            raise TaxonomyInvalid(
                key, f"top_level_code {category.top_level_code!r} differs from its parent's"
            )
    for category in by_code.values():
        _check_acyclic(category, by_code)
    return by_code


def _check_acyclic(category: Category, by_code: dict[str, Category]) -> None:
    seen = {category.code}
    parent = category.parent_code
    while parent is not None:
        if parent in seen:
            raise TaxonomyInvalid(f"categories[{category.code}]", "parents form a cycle")
        seen.add(parent)
        parent = by_code[parent].parent_code
