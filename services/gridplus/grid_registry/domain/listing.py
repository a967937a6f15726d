"""Which grids a listing returns and in what order, one page at a time (keyset paging).

Order is (level, code): stable across pages and across processes, so a page cursor is just the
(level, code) of the last grid returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.grid_registry.domain.grids import GridSet, GridSpec

Cursor = tuple[int, str]


@dataclass(frozen=True)
class GridQuery:
    """Empty filters match everything.

    parent_code alone: the parent's children. With a level too: the parent's descendants at that
    level (level 3 under a level-1 grid lists every level-3 grid in it).
    """

    parent_code: str | None = None
    level: int | None = None


@dataclass(frozen=True)
class Page:
    grids: list[GridSpec]
    next_cursor: Cursor | None  # None on the last page


def select_grids(grid_set: GridSet, query: GridQuery) -> list[GridSpec]:
    """The grids matching `query` in (level, code) order; UnknownGrid for an unknown parent."""
    if query.parent_code is None:
        found = list(grid_set)
    elif query.level is None:
        found = grid_set.children(query.parent_code)
    else:
        found = grid_set.descendants(query.parent_code)
    if query.level is not None:
        found = [spec for spec in found if spec.level == query.level]
    return sorted(found, key=_key)


def page_of(grids: list[GridSpec], *, after: Cursor | None, size: int) -> Page:
    """Up to `size` grids of an ordered list following `after`."""
    remaining = grids if after is None else [spec for spec in grids if _key(spec) > after]
    chunk = remaining[:size]
    more = len(remaining) > size
    return Page(chunk, _key(chunk[-1]) if more and chunk else None)


def _key(spec: GridSpec) -> Cursor:
    return (spec.level, spec.code)
