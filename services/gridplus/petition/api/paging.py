"""Page tokens (HTTP `cursor`, gRPC `page_token`) for keyset paging, in the kit's opaque format.

A token remembers which query it belongs to, so reusing it with other filters is refused
instead of silently skipping or repeating petitions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime

from gridplus.kit.errors import InvalidArgument
from gridplus.kit.page_tokens import read_page_token, write_page_token
from gridplus.petition.storage.repository import PageKey, PetitionQuery

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def encode(key: PageKey, query: PetitionQuery) -> str:
    return write_page_token({"c": key.created_at.isoformat(), "i": key.id}, [_query_hash(query)])


def decode(token: str, query: PetitionQuery, *, field: str) -> PageKey:
    """The key a token carries; InvalidArgument naming `field` if it is not one of ours."""
    position = read_page_token(token, [_query_hash(query)], field=field)
    try:
        key = PageKey(datetime.fromisoformat(position["c"]), str(position["i"]))
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument.single(field, "is not a token this API returned") from None
    if key.created_at.tzinfo is None:
        raise InvalidArgument.single(field, "is not a token this API returned")
    return key


def _query_hash(query: PetitionQuery) -> str:
    text = json.dumps(asdict(query), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
