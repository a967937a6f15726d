"""Grids and their hierarchy: level-1 grids contain level-2 grids, which contain level-3 grids.

Pure domain code: a `GridSet` is built from `GridSpec`s and answers hierarchy questions. It checks
the hierarchy (codes, levels, parents), not the geometry's coverage: whether the polygons tile the
city without gaps or overlaps is a separate, report-producing check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

MIN_LEVEL = 1
MAX_LEVEL = 3


class GridError(Exception):
    """Base class of grid domain errors."""


class GridSetInvalid(GridError):
    """The specs do not form a valid hierarchy; `code` names the offending grid."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"grid {code!r}: {reason}")
        self.code = code
        self.reason = reason


class UnknownGrid(GridError, KeyError):
    """A grid code that is not in the set."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown grid {self.code!r}"


@dataclass(frozen=True)
class GridSpec:
    """One grid: its code, display name, level (1..3), parent (None at level 1) and polygon(s)."""

    code: str
    name: str
    level: int
    parent_code: str | None
    geometry: BaseGeometry


class GridSet:
    """An immutable, validated set of grids with hierarchy queries.

    Children are listed in code order, so every answer is deterministic.
    """

    def __init__(self, specs: Iterable[GridSpec]) -> None:
        by_code: dict[str, GridSpec] = {}
        for spec in specs:
            _check_own_fields(spec)
            if spec.code in by_code:
                raise GridSetInvalid(spec.code, "duplicate grid code")
            by_code[spec.code] = spec
        children: dict[str, list[GridSpec]] = {code: [] for code in by_code}
        for spec in sorted(by_code.values(), key=lambda s: s.code):
            if spec.parent_code is not None:
                _check_parent(spec, by_code)
                children[spec.parent_code].append(spec)
        self._by_code = by_code
        self._children = {code: tuple(kids) for code, kids in children.items()}

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[GridSpec]:
        """All grids, level by level, in code order within a level."""
        return iter(sorted(self._by_code.values(), key=lambda s: (s.level, s.code)))

    def get(self, code: str) -> GridSpec:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownGrid(code) from None

    def at_level(self, level: int) -> list[GridSpec]:
        """The grids of one level, in code order."""
        return sorted((s for s in self._by_code.values() if s.level == level), key=lambda s: s.code)

    def path(self, code: str) -> list[str]:
        """Codes from the level-1 grid down to `code` itself, e.g. ["1", "MN01", "MN0101"]."""
        spec = self.get(code)
        codes = [spec.code]
        while spec.parent_code is not None:
            spec = self._by_code[spec.parent_code]
            codes.append(spec.code)
        codes.reverse()
        return codes

    def ancestors(self, code: str) -> list[GridSpec]:
        """The grids above `code`, level-1 first; empty for a level-1 grid."""
        return [self._by_code[c] for c in self.path(code)[:-1]]

    def children(self, code: str) -> list[GridSpec]:
        """The grids directly below `code`, in code order."""
        self.get(code)
        return list(self._children[code])

    def descendants(self, code: str) -> list[GridSpec]:
        """Every grid below `code` (its subtree without itself), depth-first in code order."""
        found: list[GridSpec] = []
        for child in self.children(code):
            found.append(child)
            found.extend(self.descendants(child.code))
        return found

    def is_within(self, code: str, ancestor_code: str) -> bool:
        """True when `code` is `ancestor_code` or lies below it (a scope check)."""
        self.get(ancestor_code)
        return ancestor_code in self.path(code)


def _check_own_fields(spec: GridSpec) -> None:
    if not spec.code or spec.code != spec.code.strip():
        raise GridSetInvalid(spec.code, "code must be non-empty without surrounding spaces")
    if not MIN_LEVEL <= spec.level <= MAX_LEVEL:
        raise GridSetInvalid(spec.code, f"level {spec.level} is not in {MIN_LEVEL}..{MAX_LEVEL}")
    if spec.level == MIN_LEVEL and spec.parent_code is not None:
        raise GridSetInvalid(spec.code, f"a level-1 grid has no parent, got {spec.parent_code!r}")
    if spec.level > MIN_LEVEL and spec.parent_code is None:
        raise GridSetInvalid(spec.code, f"a level-{spec.level} grid needs a parent")
    if spec.geometry.is_empty or spec.geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise GridSetInvalid(spec.code, "geometry must be a non-empty Polygon or MultiPolygon")


def _check_parent(spec: GridSpec, by_code: dict[str, GridSpec]) -> None:
    parent_code = spec.parent_code
    assert parent_code is not None
    parent = by_code.get(parent_code)
    if parent is None:
        raise GridSetInvalid(spec.code, f"parent {parent_code!r} does not exist")
    if parent.level != spec.level - 1:
        raise GridSetInvalid(
            spec.code,
            f"parent {parent_code!r} is level {parent.level}, expected level {spec.level - 1}",
        )
