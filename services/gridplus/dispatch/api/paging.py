"""Page sizes and page tokens of dispatch's list calls (AIP-158): a token carries the key where
its page ended and the filters of its query, so it continues only that query."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from gridplus.dispatch.storage.repository import Cursor
from gridplus.kit.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)  # larger asks get the largest page (AIP-158)


def write_token(cursor: Cursor, filters: list[str]) -> str:
    data = {"d": cursor.deadline.isoformat(), "p": cursor.petition_id, "f": filters}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def read_token(token: str, filters: list[str]) -> Cursor:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = Cursor(datetime.fromisoformat(data["d"]), str(data["p"]))
        same_query = data["f"] == filters
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidArgument.single("page_token", "not a token this API returned") from None
    if not same_query:
        raise InvalidArgument.single("page_token", "belongs to a query with other filters")
    return cursor
