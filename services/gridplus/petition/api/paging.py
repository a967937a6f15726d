"""Opaque page tokens (HTTP `cursor`, gRPC `page_token`) for newest-first keyset paging.

A token remembers which query it belongs to, so reusing it with other filters is refused
instead of silently skipping or repeating petitions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import asdict
from datetime import datetime

from gridplus.kit.errors import InvalidArgument
from gridplus.petition.storage.repository import PageKey, PetitionQuery

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def encode(key: PageKey, query: PetitionQuery) -> str:
    data = {"c": key.created_at.isoformat(), "i": key.id, "q": _query_hash(query)}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, query: PetitionQuery, *, field: str) -> PageKey:
    """The key a token carries; InvalidArgument naming `field` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        key = PageKey(datetime.fromisoformat(data["c"]), str(data["i"]))
        query_hash = data["q"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidArgument.single(field, "is not a token this API returned") from None
    if key.created_at.tzinfo is None:
        raise InvalidArgument.single(field, "is not a token this API returned")
    if query_hash != _query_hash(query):
        raise InvalidArgument.single(field, "belongs to a different query")
    return key


def _query_hash(query: PetitionQuery) -> str:
    text = json.dumps(asdict(query), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
