"""GridRegistryService: proto in, use case, proto out (api/convert.py converts).

Every RPC only reads: grids, members and reference data change through imports (gridctl,
load-demo), so there is no mutating RPC and no request_id to apply once. Households have their
own service (api/households.py)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import grpc

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.grid_registry.api import convert, page_tokens
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.listing import GridQuery
from gridplus.grid_registry.domain.locator import LocateResult
from gridplus.grid_registry.handlers import directory, distance, grids, reference
from gridplus.grid_registry.handlers.snapshots import (
    GridSetSnapshot,
    ReferenceSnapshot,
    references,
)
from gridplus.kit.auth import current_principal
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.roles import ALL_ROLES, STAFF_ROLES
from gridplus.kit.snapshot import Snapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SERVICE_NAME = grid_pb2.DESCRIPTOR.services_by_name["GridRegistryService"].full_name

POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        # Residents locate the point of their own report; the rest is for staff and services.
        "LocateGrid": ALL_ROLES,
        "GetGrid": STAFF_ROLES,
        "ListGrids": STAFF_ROLES,
        # Names and roles for staff; phones and emails only where the work needs them
        # (domain/directory.py). Residents reach their petition's handler through petition.
        "ListMembers": STAFF_ROLES,
        # The taxonomy and who handles what are public facts: any authenticated caller reads them.
        "ListCategories": ALL_ROLES,
        "GetCategory": ALL_ROLES,
        "ListDepartments": ALL_ROLES,
        "ResolveResponsibility": ALL_ROLES,
        # Names of staff and volunteers for staff and services; contacts as for ListMembers.
        "GetChain": STAFF_ROLES,
        # Bulk location is for services and staff tools, not residents.
        "LocateGrids": STAFF_ROLES,
        # Grid outlines are drawn on public maps (the resident page shows where the city is).
        "ListGridBoundaries": ALL_ROLES,
        # Dispatch checks a visit's GPS point against the household's grid; staff tools too.
        "MeasureDistanceToGrid": STAFF_ROLES,
    },
)


class GridRegistryServicer(grid_pb2_grpc.GridRegistryServiceServicer):
    def __init__(
        self,
        current: Snapshot[GridSetSnapshot],
        sessions: SessionFactory,
        reference_data: Snapshot[ReferenceSnapshot] | None = None,
    ) -> None:
        self._current = current
        self._sessions = sessions
        self._reference = reference_data or references(sessions)
        self._answers = LocateAnswers()

    def LocateGrid(
        self, request: grid_pb2.LocateGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.LocateGridResponse:
        snapshot = self._current.get()
        found = grids.locate_point(
            snapshot, lat=request.lat, lon=request.lon, tolerance_m=request.tolerance_meters
        )
        if found.snapped:
            return convert.located(grids.located(snapshot, found), snapshot.grids)
        return self._answers.of(snapshot, found.code)

    def GetGrid(
        self, request: grid_pb2.GetGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetGridResponse:
        snapshot = self._current.get()
        spec = grids.get_grid(snapshot, request.code)
        return grid_pb2.GetGridResponse(grid=_grid_of(spec, snapshot))

    def ListGrids(
        self, request: grid_pb2.ListGridsRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListGridsResponse:
        snapshot = self._current.get()
        query = GridQuery(request.parent_code or None, request.level or None)
        size = page_tokens.page_size(request.page_size)
        after = page_tokens.resume(request.page_token, query=query, version=snapshot.version)
        page = grids.list_grids(snapshot, query, after=after, size=size)
        next_token = page_tokens.next_page_token(
            page.next_cursor, query=query, version=snapshot.version
        )
        return grid_pb2.ListGridsResponse(
            grids=[_grid_of(spec, snapshot) for spec in page.grids],
            next_page_token=next_token,
        )

    def ListMembers(
        self, request: grid_pb2.ListMembersRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListMembersResponse:
        role = convert.role_from_proto(request.role)
        snapshot = self._current.get()
        with self._directory_session(snapshot) as session:
            found = directory.members(
                session,
                snapshot,
                grid_code=request.grid_code,
                role=role,
                viewer=current_principal(),
            )
        return grid_pb2.ListMembersResponse(members=[convert.member(member) for member in found])

    def ListCategories(
        self, request: grid_pb2.ListCategoriesRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListCategoriesResponse:
        taxonomy = self._reference.get().taxonomy
        return grid_pb2.ListCategoriesResponse(
            categories=[convert.category(category) for category in taxonomy.categories()]
        )

    def GetCategory(
        self, request: grid_pb2.GetCategoryRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetCategoryResponse:
        category = reference.get_category(self._reference.get(), request.code)
        return grid_pb2.GetCategoryResponse(category=convert.category(category))

    def ListDepartments(
        self, request: grid_pb2.ListDepartmentsRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListDepartmentsResponse:
        taxonomy = self._reference.get().taxonomy
        return grid_pb2.ListDepartmentsResponse(
            departments=[convert.department(department) for department in taxonomy.departments()]
        )

    def ResolveResponsibility(
        self, request: grid_pb2.ResolveResponsibilityRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ResolveResponsibilityResponse:
        grids = self._current.get() if request.grid_code else None
        found = reference.resolve_responsibility(
            self._reference.get(),
            grids,
            category_code=request.category_code,
            grid_code=request.grid_code,
        )
        return grid_pb2.ResolveResponsibilityResponse(
            department=convert.department(found.department), reason=found.reason
        )

    def GetChain(
        self, request: grid_pb2.GetChainRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetChainResponse:
        snapshot = self._current.get()
        target = request.WhichOneof("target")
        if target == "point":
            located = grids.locate(snapshot, lat=request.point.lat, lon=request.point.lon)
            grid_code = located.grid.code
        elif target == "grid_code":
            grid_code = request.grid_code
        else:
            raise InvalidArgument.single("target", "give a point or a grid_code")
        with self._directory_session(snapshot) as session:
            steps = directory.chain(
                session, snapshot, grid_code=grid_code, viewer=current_principal()
            )
        return grid_pb2.GetChainResponse(
            levels=[
                grid_pb2.ChainLevel(
                    grid=_grid_of(step.grid, snapshot),
                    members=[convert.member(member) for member in step.members],
                    places=[convert.place(place) for place in step.places],
                )
                for step in steps
            ]
        )

    def LocateGrids(
        self,
        request_iterator: Iterator[grid_pb2.LocateGridsRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[grid_pb2.LocateGridsResponse]:
        for request in request_iterator:
            # Each message is answered by the set current when it arrives: a long stream follows
            # a new import from the next message on, and every answer names its version.
            snapshot = self._current.get()
            codes, snapped = grids.locate_batch(
                snapshot, request.lats, request.lons, tolerance_m=request.tolerance_meters
            )
            yield grid_pb2.LocateGridsResponse(
                grid_codes=codes, snapped=snapped, grid_set_version=snapshot.version
            )

    def ListGridBoundaries(
        self, request: grid_pb2.ListGridBoundariesRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListGridBoundariesResponse:
        snapshot = self._current.get()
        query = GridQuery(request.parent_code or None, request.level or None)
        found = grids.boundaries(snapshot, query, simplify_m=request.simplify_meters)
        return grid_pb2.ListGridBoundariesResponse(
            boundaries=[
                grid_pb2.GridBoundary(grid=_grid_of(spec, snapshot), geojson=outline)
                for spec, outline in found
            ],
            grid_set_version=snapshot.version,
        )

    @contextmanager
    def _directory_session(self, snapshot: GridSetSnapshot) -> Iterator[Session | None]:
        """No transaction when the snapshot holds its directory (a running server's always
        does: handlers/snapshots.py loads it with the grids); a session to read it otherwise."""
        if not directory.needs_session(snapshot):
            yield None
            return
        with transaction(self._sessions) as session:
            yield session

    def MeasureDistanceToGrid(
        self, request: grid_pb2.MeasureDistanceToGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.MeasureDistanceToGridResponse:
        found = distance.measure(
            self._current.get(), grid_code=request.grid_code, lat=request.lat, lon=request.lon
        )
        return grid_pb2.MeasureDistanceToGridResponse(
            inside=found.inside, distance_meters=found.meters, grid_set_version=found.version
        )


def _grid_of(spec: GridSpec, snapshot: GridSetSnapshot) -> grid_pb2.Grid:
    return convert.grid(spec, snapshot.grids, snapshot.version)


Answer = grid_pb2.LocateGridResponse


class LocateAnswers:
    """LocateGrid's answer for a point found inside a grid, built once per grid of the grid set
    served: it depends only on the grid (code, level, path, ancestors, version), and building it
    was as much CPU as finding the grid. Held for one snapshot, dropped when another is served;
    the snapshot is referred to weakly, so a replaced grid set is freed as soon as the server lets
    it go. gRPC only reads an answer (serializes it), so one message serves concurrent calls."""

    def __init__(self) -> None:
        self._held: tuple[weakref.ref[GridSetSnapshot], dict[str, Answer]] | None = None

    def of(self, snapshot: GridSetSnapshot, code: str) -> Answer:
        held = self._held
        if held is None or held[0]() is not snapshot:
            held = self._held = (weakref.ref(snapshot), {})
        answer = held[1].get(code)
        if answer is None:
            found = grids.located(snapshot, LocateResult(code))
            answer = held[1][code] = convert.located(found, snapshot.grids)
        return answer
