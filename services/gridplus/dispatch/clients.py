"""The grid registry over gRPC (gridplus.grid.v1.GridRegistryService).

Grids by code (GetGrid, cached) give a household's grid path and a visit petition's grid;
MeasureDistanceToGrid checks a visit's GPS point.

The taxonomy is grid-registry's alone (dispatch keeps no copy): one ListCategories, cached for
`cache_seconds` (on an outage the last taxonomy held answers), serves every code's names,
priority, step limits and business calendar. Departments are cached the same way, so the
consumer's prepare step and the scanner ask once per code, not once per petition. A
responsibility rule or chain grid-registry does not serve (UNIMPLEMENTED) resolves no department
and no chain.
"""

from __future__ import annotations

import grpc

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.dispatch.api.convert import ROLES_FROM_PROTO, category_from_proto, grid_place
from gridplus.dispatch.domain.categories import Category
from gridplus.dispatch.domain.outlines import GridOutlines
from gridplus.dispatch.domain.places import GridPlace, Member
from gridplus.dispatch.ports import ChainLevel, Department, GridDirectory
from gridplus.kit.cache import TtlCache
from gridplus.kit.errors import TransientError
from gridplus.kit.grpc_client import DEFAULT_DEADLINE_SECONDS

OUTLINES_DEADLINE_SECONDS = 30.0
_ABSENT = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED}


def _absent(error: grpc.RpcError) -> bool:
    return error.code() in _ABSENT  # type: ignore[attr-defined]


def _place_of(grid: grid_pb2.Grid) -> GridPlace:
    return GridPlace(grid.code, grid.level, tuple(grid.path) or (grid.code,), grid.grid_set_version)


class GrpcGridDirectory(GridDirectory):
    def __init__(
        self,
        channel: grpc.Channel,
        *,
        timeout: float = DEFAULT_DEADLINE_SECONDS,
        cache_seconds: float = 300.0,
    ) -> None:
        self._stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        self._timeout = timeout
        # A city's outlines are megabytes, read once per grid-set version.
        self._outlines_timeout = max(timeout, OUTLINES_DEADLINE_SECONDS)
        self._categories: TtlCache[dict[str, Category]] = TtlCache(
            cache_seconds, stale_on=(grpc.RpcError,)
        )
        self._responsible: TtlCache[Department | None] = TtlCache(cache_seconds)
        self._department_heads: TtlCache[dict[str, str] | None] = TtlCache(cache_seconds)
        self._grids: TtlCache[GridPlace | None] = TtlCache(cache_seconds, stale_on=(grpc.RpcError,))

    def locate(self, lat: float, lon: float) -> GridPlace | None:
        # No snapping tolerance: a point outside every grid is out of jurisdiction, not guessed.
        try:
            response = self._stub.LocateGrid(
                grid_pb2.LocateGridRequest(lat=lat, lon=lon), timeout=self._timeout
            )
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return None
            raise
        return grid_place(response)

    def outlines(self) -> GridOutlines | None:
        """The level-3 grids with their outlines as stored (not simplified), of the version
        grid-registry serves; None when it serves none (UNIMPLEMENTED, or no level-3 grid)."""
        try:
            response = self._stub.ListGridBoundaries(
                grid_pb2.ListGridBoundariesRequest(level=3), timeout=self._outlines_timeout
            )
        except grpc.RpcError as error:
            if _absent(error):
                return None
            raise
        if not response.boundaries:
            return None
        return GridOutlines(
            response.grid_set_version,
            ((_place_of(b.grid), b.geojson) for b in response.boundaries),
        )

    def forget_grid_set(self) -> None:
        """A new grid set is served: answers that depend on its grids are asked again."""
        self._responsible.clear()
        self._grids.clear()

    def grid(self, code: str) -> GridPlace | None:
        return self._grids.get(code, lambda: self._load_grid(code))

    def _load_grid(self, code: str) -> GridPlace | None:
        try:
            response = self._stub.GetGrid(grid_pb2.GetGridRequest(code=code), timeout=self._timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return None
            raise
        return _place_of(response.grid)

    def distance_to_grid(self, grid_code: str, lat: float, lon: float) -> float | None:
        request = grid_pb2.MeasureDistanceToGridRequest(grid_code=grid_code, lat=lat, lon=lon)
        try:
            response = self._stub.MeasureDistanceToGrid(request, timeout=self._timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return None
            # The caller is told to retry: a visit is never stored unchecked.
            raise TransientError("grid-registry cannot measure the distance now") from error
        return 0.0 if response.inside else response.distance_meters

    def members(self, grid_code: str) -> list[Member]:
        response = self._stub.ListMembers(
            grid_pb2.ListMembersRequest(grid_code=grid_code), timeout=self._timeout
        )
        return [
            Member(person_id=member.person_id, role=ROLES_FROM_PROTO[member.role])
            for member in response.members
            if member.role in ROLES_FROM_PROTO
        ]

    def category(self, code: str) -> Category | None:
        return self._taxonomy().get(code)

    def top_level_named(self, name_zh: str) -> Category | None:
        return next(
            (c for c in self._taxonomy().values() if c.top_level and c.name_zh == name_zh), None
        )

    def _taxonomy(self) -> dict[str, Category]:
        """The whole taxonomy by code (one ListCategories, cached; on an outage the last one
        held answers)."""
        return self._categories.get("taxonomy", self._load_taxonomy)

    def _load_taxonomy(self) -> dict[str, Category]:
        response = self._stub.ListCategories(
            grid_pb2.ListCategoriesRequest(), timeout=self._timeout
        )
        return {c.code: category_from_proto(c) for c in response.categories}

    def department(self, category_code: str, grid_code: str) -> Department | None:
        key = (category_code, grid_code)
        return self._responsible.get(key, lambda: self._load_department(category_code, grid_code))

    def _load_department(self, category_code: str, grid_code: str) -> Department | None:
        request = grid_pb2.ResolveResponsibilityRequest(
            category_code=category_code, grid_code=grid_code
        )
        try:
            response = self._stub.ResolveResponsibility(request, timeout=self._timeout)
        except grpc.RpcError as error:
            if _absent(error):
                return None
            raise
        found = response.department
        if not found.code:
            return None
        why = response.reason or f"department {found.code} is responsible for {category_code}"
        return Department(found.code, found.head_person_id, why)

    def department_head(self, department_code: str) -> str:
        return (self._departments() or {}).get(department_code, "")

    def department_codes(self) -> frozenset[str] | None:
        found = self._departments()
        return None if found is None else frozenset(found)

    def _departments(self) -> dict[str, str] | None:
        """Department code -> head's person id; None while grid-registry does not serve them."""
        return self._department_heads.get("departments", self._load_departments)

    def _load_departments(self) -> dict[str, str] | None:
        try:
            response = self._stub.ListDepartments(
                grid_pb2.ListDepartmentsRequest(), timeout=self._timeout
            )
        except grpc.RpcError as error:
            if _absent(error):
                return None
            raise
        return {d.code: d.head_person_id for d in response.departments}

    def chain(self, grid_code: str) -> list[ChainLevel]:
        try:
            response = self._stub.GetChain(
                grid_pb2.GetChainRequest(grid_code=grid_code), timeout=self._timeout
            )
        except grpc.RpcError as error:
            if _absent(error):
                return []
            raise
        return [
            ChainLevel(
                grid_code=level.grid.code,
                level=level.grid.level,
                chiefs=tuple(
                    m.person_id for m in level.members if m.role == grid_pb2.MEMBER_ROLE_GRID_CHIEF
                ),
            )
            for level in response.levels
        ]
