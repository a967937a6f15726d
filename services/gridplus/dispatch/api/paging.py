"""Page sizes and page tokens of dispatch's list calls (AIP-158): a token (the kit's
`page_tokens`) carries the key where its page ended and the filters of its query, so it
continues only that query."""

from __future__ import annotations

from datetime import datetime

from gridplus.dispatch.storage.assignments import Cursor
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.page_tokens import read_page_token, write_page_token

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)  # larger asks get the largest page (AIP-158)


def write_token(cursor: Cursor, filters: list[str]) -> str:
    return write_page_token({"d": cursor.deadline.isoformat(), "p": cursor.petition_id}, filters)


def read_token(token: str, filters: list[str]) -> Cursor:
    position = read_page_token(token, filters)
    try:
        return Cursor(datetime.fromisoformat(position["d"]), str(position["p"]))
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument.single("page_token", "not a token this API returned") from None
