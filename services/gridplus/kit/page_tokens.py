"""Opaque page tokens (AIP-158): a position in a listing plus the filters it was made for.

A token from one query is refused in another, so a client cannot page through a result it did
not ask for; a token a client made up is refused naming the field."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from gridplus.kit.errors import InvalidArgument

_NOT_OURS = "not a token this API returned"


def write_page_token(position: Mapping[str, Any], filters: Sequence[Any] = ()) -> str:
    raw = json.dumps({"p": dict(position), "f": list(filters)}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_page_token(
    token: str, filters: Sequence[Any] = (), *, field: str = "page_token"
) -> dict[str, Any]:
    """The position `token` holds; InvalidArgument naming `field` when it is not one of ours
    or belongs to a query with other filters."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        position, made_for = data["p"], data["f"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidArgument.single(field, _NOT_OURS) from None
    if not isinstance(position, dict):
        raise InvalidArgument.single(field, _NOT_OURS)
    if made_for != json.loads(json.dumps(list(filters), default=str)):
        raise InvalidArgument.single(field, "belongs to a query with other filters")
    return position
