"""Opaque ListGrids page tokens: the grid set version, the filters and the last (level, code).

A token only continues the listing it came from: other filters or a newer grid set are refused,
so a client never gets a page that silently mixes two versions.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from gridplus.grid_registry.domain.listing import Cursor, GridQuery
from gridplus.kit.errors import FailedPrecondition, InvalidArgument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageToken:
    version: int
    query: GridQuery
    after: Cursor


def encode(token: PageToken) -> str:
    data = [
        token.version,
        token.query.parent_code,
        token.query.level,
        token.after[0],
        token.after[1],
    ]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode(text: str) -> PageToken:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, parent_code, level, after_level, after_code = json.loads(raw)
        return PageToken(
            int(version),
            GridQuery(
                None if parent_code is None else str(parent_code),
                None if level is None else int(level),
            ),
            (int(after_level), str(after_code)),
        )
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidArgument.single("page_token", "is not a token from ListGrids") from None


def resume(text: str, *, query: GridQuery, version: int) -> Cursor | None:
    """Where the page asked for starts: None for the first page."""
    if not text:
        return None
    token = decode(text)
    if token.query != query:
        raise InvalidArgument.single("page_token", "was issued for different filters")
    if token.version != version:
        raise FailedPrecondition(
            f"the grid set changed from version {token.version} to {version} "
            "since the first page; list again from the start"
        )
    return token.after


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
