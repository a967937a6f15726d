"""The gRPC adapters of the ports in ports.py: grid-registry's ListCategories (cached; the last good
copy is served while grid-registry is away, with none yet a clear 503) and evaluation's
RateFollowUp/GetFollowUp.

Follow-up (跟踪回访) of a resolved petition is owned by evaluation: the resident HTTP API rates
and reads it through evaluation's gRPC API with this service's token, naming the resident it has
authenticated (`resident_id`). Evaluation's refusals come back as the kit's domain errors, so the
HTTP API answers them as problem+json with the same meaning (a bad field stays that field).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.kit.cache import TtlCache
from gridplus.kit.errors import (
    FailedPrecondition,
    FieldViolation,
    GridPlusError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    TransientError,
)
from gridplus.kit.grpc_client import DEFAULT_DEADLINE_SECONDS
from gridplus.kit.idempotency import IdempotencyKeyReused
from gridplus.petition.domain.values import GridRef
from gridplus.petition.ports import (
    Category,
    CategorySource,
    GridMap,
    GridOutline,
    GridOutlines,
    PlaceFound,
)

log = logging.getLogger(__name__)

CATEGORIES_TIMEOUT_SECONDS = 3.0
# Outlines of a whole level are the largest answer grid-registry gives.
BOUNDARIES_TIMEOUT_SECONDS = 10.0

# Evaluation's field names -> how the HTTP caller spells them.
_HTTP_FIELDS = {"request_id": "idempotency_key"}
# Refusals passed on with evaluation's own message.
_REFUSALS: dict[grpc.StatusCode, Callable[[str], GridPlusError]] = {
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
}
_AWAY = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class RegistryCategories(CategorySource):
    """grid-registry's ListCategories, cached for `ttl_seconds`; while grid-registry cannot be
    reached the last good copy is served."""

    def __init__(self, channel: grpc.Channel, *, ttl_seconds: float = 300.0) -> None:
        self._stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        self._cache: TtlCache[list[Category]] = TtlCache(ttl_seconds, stale_on=(TransientError,))

    def categories(self) -> list[Category]:
        return self._cache.get("taxonomy", self._load)

    def _load(self) -> list[Category]:
        try:
            response = self._stub.ListCategories(
                grid_pb2.ListCategoriesRequest(), timeout=CATEGORIES_TIMEOUT_SECONDS
            )
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            raise TransientError(
                "the category taxonomy is unavailable: grid-registry did not answer"
                f" ListCategories ({code})"
            ) from None
        return [_category(c) for c in response.categories]


def _category(message: grid_pb2.Category) -> Category:
    return Category(
        code=message.code,
        name_zh=message.name_zh,
        name_en=message.name_en,
        top_level_code=message.top_level_code or message.code,
        parent_code=message.parent_code,
    )


class RegistryGridMap(GridMap):
    """grid-registry's ListGridBoundaries (cached per level and tolerance for `ttl_seconds`; the
    last good copy is served while grid-registry is away) and LocateGrid."""

    def __init__(self, channel: grpc.Channel, *, ttl_seconds: float = 300.0) -> None:
        self._stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        self._cache: TtlCache[GridOutlines] = TtlCache(ttl_seconds, stale_on=(TransientError,))

    def outlines(self, *, level: int, simplify_m: float) -> GridOutlines:
        return self._cache.get((level, simplify_m), lambda: self._load(level, simplify_m))

    def _load(self, level: int, simplify_m: float) -> GridOutlines:
        request = grid_pb2.ListGridBoundariesRequest(level=level, simplify_meters=simplify_m)
        try:
            answer = self._stub.ListGridBoundaries(request, timeout=BOUNDARIES_TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            raise _registry_away("ListGridBoundaries", exc) from None
        return GridOutlines(
            version=answer.grid_set_version,
            outlines=[
                GridOutline(b.grid.code, b.grid.name, b.grid.level, b.geojson)
                for b in answer.boundaries
            ],
        )

    def locate(self, *, lat: float, lon: float) -> PlaceFound | None:
        request = grid_pb2.LocateGridRequest(lat=lat, lon=lon)
        try:
            answer = self._stub.LocateGrid(request, timeout=CATEGORIES_TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            if isinstance(exc, grpc.Call) and exc.code() is grpc.StatusCode.NOT_FOUND:
                return None
            raise _registry_away("LocateGrid", exc) from None
        names = [grid.name for grid in answer.ancestors]
        return PlaceFound(code=answer.grid.code, names=[*names, answer.grid.code])


class RegistryGridLocator:
    """grid-registry's LocateGrid for the history import: the level-3 grid with its path, or
    None when the point lies outside every grid (a point grid-registry snapped to the nearest
    grid counts as outside: history is not guessed into a grid)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = grid_pb2_grpc.GridRegistryServiceStub(channel)

    def locate(self, *, lat: float, lon: float) -> GridRef | None:
        request = grid_pb2.LocateGridRequest(lat=lat, lon=lon)
        try:
            answer = self._stub.LocateGrid(request, timeout=DEFAULT_DEADLINE_SECONDS)
        except grpc.RpcError as exc:
            if isinstance(exc, grpc.Call) and exc.code() is grpc.StatusCode.NOT_FOUND:
                return None
            raise _registry_away("LocateGrid", exc) from None
        if answer.snapped or not answer.grid.code:
            return None
        grid = answer.grid
        path = tuple(grid.path) or (*(a.code for a in answer.ancestors), grid.code)
        return GridRef(grid.code, grid.level, path, grid.grid_set_version)


def _registry_away(method: str, error: grpc.RpcError) -> TransientError:
    code = error.code() if isinstance(error, grpc.Call) else None
    return TransientError(f"grid-registry did not answer {method} ({code}); try again later")


class FollowUpClient:  # implements ports.FollowUps
    """evaluation's RateFollowUp and GetFollowUp over a kit service channel."""

    def __init__(
        self, channel: grpc.Channel, *, timeout_seconds: float = DEFAULT_DEADLINE_SECONDS
    ) -> None:
        self._stub = evaluation_pb2_grpc.EvaluationServiceStub(channel)
        self._timeout = timeout_seconds

    def rate(
        self, *, petition_id: str, resident_id: str, rating: int, comment: str, request_id: str
    ) -> pb.FollowUpAnswer:
        request = pb.RateFollowUpRequest(
            petition_id=petition_id,
            rating=rating,
            comment=comment,
            request_id=request_id,
            resident_id=resident_id,
        )
        try:
            response = self._stub.RateFollowUp(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            raise domain_error(exc) from None
        return response.answer

    def get(self, *, petition_id: str) -> pb.GetFollowUpResponse:
        """The follow-up state; none yet (not pending, no answers) while evaluation has not
        heard of the petition (the caller has checked that it exists)."""
        request = pb.GetFollowUpRequest(petition_id=petition_id)
        try:
            response: pb.GetFollowUpResponse = self._stub.GetFollowUp(
                request, timeout=self._timeout
            )
        except grpc.RpcError as exc:
            error = domain_error(exc)
            if isinstance(error, NotFound):
                return pb.GetFollowUpResponse()
            raise error from None
        return response


def domain_error(error: grpc.RpcError) -> GridPlusError:
    """The kit error an evaluation status means; anything unexpected is logged and reported as
    unavailable (a retry may help, the caller's request was not at fault)."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    message = error.details() if isinstance(error, grpc.Call) else ""
    message = message or "evaluation refused the request"
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return _invalid(error, message)
    refusal = _REFUSALS.get(code)
    if refusal is not None:
        return refusal(message)
    if code in _AWAY:
        return TransientError(f"evaluation did not answer ({code.name}); try again later")
    log.error("unexpected answer from evaluation", extra={"grpc_code": code.name})
    return TransientError(f"evaluation failed ({code.name}); try again later")


def _invalid(error: grpc.RpcError, message: str) -> InvalidArgument:
    violations = [
        FieldViolation(_HTTP_FIELDS.get(v.field, v.field), v.description)
        for v in _field_violations(error)
    ]
    if any(v.field == "idempotency_key" for v in violations):
        return IdempotencyKeyReused(violations)
    return InvalidArgument(violations or [FieldViolation("body", message)])


def _field_violations(error: grpc.RpcError) -> list[error_details_pb2.BadRequest.FieldViolation]:
    if not isinstance(error, grpc.Call):
        return []
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        return []
    found: list[error_details_pb2.BadRequest.FieldViolation] = []
    for detail in status.details if status is not None else []:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            found.extend(bad_request.field_violations)
    return found
