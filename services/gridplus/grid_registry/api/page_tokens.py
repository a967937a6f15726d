"""ListGrids page tokens (kit.page_tokens): the grid set version and the last (level, code), made
for the listing's filters.

A token only continues the listing it came from: other filters are refused (INVALID_ARGUMENT), and
a newer grid set fails the precondition, so a client never gets a page that silently mixes two
versions.
"""

from __future__ import annotations

from gridplus.grid_registry.domain.listing import Cursor, GridQuery
from gridplus.kit.errors import FailedPrecondition, InvalidArgument
from gridplus.kit.page_tokens import read_page_token, write_page_token

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def next_page_token(after: Cursor | None, *, query: GridQuery, version: int) -> str:
    """The token of the page after `after` ("" when the listing is complete)."""
    if after is None:
        return ""
    position = {"version": version, "level": after[0], "code": after[1]}
    return write_page_token(position, _filters(query))


def resume(text: str, *, query: GridQuery, version: int) -> Cursor | None:
    """Where the page asked for starts: None for the first page."""
    if not text:
        return None
    position = read_page_token(text, _filters(query))
    try:
        made_for = int(position["version"])
        after = (int(position["level"]), str(position["code"]))
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument.single("page_token", "is not a token from ListGrids") from None
    if made_for != version:
        raise FailedPrecondition(
            f"the grid set changed from version {made_for} to {version} "
            "since the first page; list again from the start"
        )
    return after


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _filters(query: GridQuery) -> list[object]:
    return ["ListGrids", query.parent_code, query.level]
