"""Checks and conversions of gRPC request fields shared by the RPCs."""

from __future__ import annotations

from datetime import datetime

from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.text import clean_text
from gridplus.petition.api import paging
from gridplus.petition.api.convert import LIGHT_FROM_PROTO, from_timestamp, status_from_proto
from gridplus.petition.storage.repository import PetitionQuery, Scope, Sort

REQUEST_ID_MAX = 200
TEXT_MAX = 200
_SORTS = {
    petition_pb2.PETITION_SORT_UNSPECIFIED: Sort.NEWEST,
    petition_pb2.PETITION_SORT_NEWEST: Sort.NEWEST,
    petition_pb2.PETITION_SORT_OLDEST: Sort.OLDEST,
    petition_pb2.PETITION_SORT_DEADLINE: Sort.DEADLINE,
}


def require_request_id(request_id: str) -> None:
    if not request_id or len(request_id) > REQUEST_ID_MAX:
        raise InvalidArgument.single(
            "request_id", f"is required (1 to {REQUEST_ID_MAX} characters) so retries are safe"
        )


def require_id(petition_id: str) -> None:
    if not petition_id:
        raise InvalidArgument.single("id", "is required")


def list_query(request: petition_pb2.ListPetitionsRequest, scope: Scope | None) -> PetitionQuery:
    status = status_from_proto(request.status)
    if request.status and status is None:
        raise InvalidArgument.single("status", f"unknown status {request.status}")
    light = LIGHT_FROM_PROTO.get(request.light)
    if request.light and light is None:
        raise InvalidArgument.single("light", f"unknown light {request.light}")
    sort = _SORTS.get(request.sort)
    if sort is None:
        raise InvalidArgument.single("sort", f"unknown sort {request.sort}")
    created_from = (
        from_timestamp(request.created_from) if request.HasField("created_from") else None
    )
    created_to = from_timestamp(request.created_to) if request.HasField("created_to") else None
    if created_from and created_to and created_to <= created_from:
        raise InvalidArgument.single("created_to", "must be after created_from")
    if len(request.text) > TEXT_MAX:
        raise InvalidArgument.single("text", f"must be at most {TEXT_MAX} characters")
    return PetitionQuery(
        status=status,
        grid_code=request.grid_code or None,
        department_code=request.department_code or None,
        category=request.category or None,
        light=light,
        created_from=created_from,
        created_to=created_to,
        text=clean_text(request.text, field="text").strip() or None,
        scope=scope,
        sort=sort,
    )


def _instant(request: petition_pb2.ListPetitionsRequest, field: str) -> datetime | None:
    return from_timestamp(getattr(request, field)) if request.HasField(field) else None


def page_size(requested: int) -> int:
    # AIP-158: 0 means the default; more than the maximum is served as the maximum.
    if requested < 0:
        raise InvalidArgument.single("page_size", "must not be negative")
    return min(requested or paging.DEFAULT_PAGE_SIZE, paging.MAX_PAGE_SIZE)
