"""GridRegistryService: proto in, use case, proto out."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.grid_registry import handlers, handlers_reference
from gridplus.grid_registry.api import page_tokens
from gridplus.grid_registry.current import CurrentGridSet, CurrentReference
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.listing import GridQuery
from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.grid_registry.domain.places import Place, PlaceKind
from gridplus.grid_registry.domain.taxonomy import Category, Department, Priority
from gridplus.grid_registry.handlers import GridSetSnapshot
from gridplus.grid_registry.protos import ROLE_TO_PROTO
from gridplus.kit.auth import ALL_ROLES, STAFF_ROLES, current_principal
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.interceptors import AuthPolicy, service_policy

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
    },
)

_ROLES: dict[MemberRole, grid_pb2.MemberRole] = ROLE_TO_PROTO
_ROLES_BY_VALUE: dict[int, MemberRole] = {int(value): role for role, value in _ROLES.items()}
_PRIORITIES: dict[Priority, grid_pb2.CategoryPriority] = {
    Priority.LOW: grid_pb2.CATEGORY_PRIORITY_LOW,
    Priority.NORMAL: grid_pb2.CATEGORY_PRIORITY_NORMAL,
    Priority.HIGH: grid_pb2.CATEGORY_PRIORITY_HIGH,
    Priority.URGENT: grid_pb2.CATEGORY_PRIORITY_URGENT,
}


class GridRegistryServicer(grid_pb2_grpc.GridRegistryServiceServicer):
    def __init__(
        self,
        current: CurrentGridSet,
        sessions: SessionFactory,
        reference: CurrentReference | None = None,
    ) -> None:
        self._current = current
        self._sessions = sessions
        self._reference = reference or CurrentReference(sessions)

    def LocateGrid(
        self, request: grid_pb2.LocateGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.LocateGridResponse:
        snapshot = self._current.get()
        located = handlers.locate(
            snapshot,
            lat=request.lat,
            lon=request.lon,
            tolerance_m=request.tolerance_meters,
        )
        response = grid_pb2.LocateGridResponse(
            ancestors=[_grid(spec, snapshot) for spec in located.ancestors],
            snapped=located.snapped,
            snap_distance_meters=located.distance_m,
        )
        response.grid.code = located.grid.code
        response.grid.level = located.grid.level
        response.grid.path.extend(located.path)
        response.grid.grid_set_version = located.version
        return response

    def GetGrid(
        self, request: grid_pb2.GetGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetGridResponse:
        snapshot = self._current.get()
        spec = handlers.get_grid(snapshot, request.code)
        return grid_pb2.GetGridResponse(grid=_grid(spec, snapshot))

    def ListGrids(
        self, request: grid_pb2.ListGridsRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListGridsResponse:
        snapshot = self._current.get()
        query = GridQuery(request.parent_code or None, request.level or None)
        size = page_tokens.page_size(request.page_size)
        after = page_tokens.resume(request.page_token, query=query, version=snapshot.version)
        page = handlers.list_grids(snapshot, query, after=after, size=size)
        next_token = (
            page_tokens.encode(page_tokens.PageToken(snapshot.version, query, page.next_cursor))
            if page.next_cursor is not None
            else ""
        )
        return grid_pb2.ListGridsResponse(
            grids=[_grid(spec, snapshot) for spec in page.grids],
            next_page_token=next_token,
        )

    def ListMembers(
        self, request: grid_pb2.ListMembersRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListMembersResponse:
        role = _role_from_proto(request.role)
        snapshot = self._current.get()
        with transaction(self._sessions) as session:
            found = handlers.members(
                session,
                snapshot,
                grid_code=request.grid_code,
                role=role,
                viewer=current_principal(),
            )
        return grid_pb2.ListMembersResponse(members=[_member(member) for member in found])

    def ListCategories(
        self, request: grid_pb2.ListCategoriesRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListCategoriesResponse:
        taxonomy = self._reference.get().taxonomy
        return grid_pb2.ListCategoriesResponse(
            categories=[_category(category) for category in taxonomy.categories()]
        )

    def GetCategory(
        self, request: grid_pb2.GetCategoryRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetCategoryResponse:
        category = handlers_reference.get_category(self._reference.get(), request.code)
        return grid_pb2.GetCategoryResponse(category=_category(category))

    def ListDepartments(
        self, request: grid_pb2.ListDepartmentsRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListDepartmentsResponse:
        taxonomy = self._reference.get().taxonomy
        return grid_pb2.ListDepartmentsResponse(
            departments=[_department(department) for department in taxonomy.departments()]
        )

    def ResolveResponsibility(
        self, request: grid_pb2.ResolveResponsibilityRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ResolveResponsibilityResponse:
        grids = self._current.get() if request.grid_code else None
        found = handlers_reference.resolve_responsibility(
            self._reference.get(),
            grids,
            category_code=request.category_code,
            grid_code=request.grid_code,
        )
        return grid_pb2.ResolveResponsibilityResponse(
            department=_department(found.department), reason=found.reason
        )

    def GetChain(
        self, request: grid_pb2.GetChainRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetChainResponse:
        snapshot = self._current.get()
        target = request.WhichOneof("target")
        if target == "point":
            located = handlers.locate(snapshot, lat=request.point.lat, lon=request.point.lon)
            grid_code = located.grid.code
        elif target == "grid_code":
            grid_code = request.grid_code
        else:
            raise InvalidArgument.single("target", "give a point or a grid_code")
        with transaction(self._sessions) as session:
            steps = handlers.chain(
                session, snapshot, grid_code=grid_code, viewer=current_principal()
            )
        return grid_pb2.GetChainResponse(
            levels=[
                grid_pb2.ChainLevel(
                    grid=_grid(step.grid, snapshot),
                    members=[_member(member) for member in step.members],
                    places=[_place(place) for place in step.places],
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
            codes, snapped = handlers.locate_batch(
                snapshot, request.lats, request.lons, tolerance_m=request.tolerance_meters
            )
            yield grid_pb2.LocateGridsResponse(
                grid_codes=codes, snapped=snapped, grid_set_version=snapshot.version
            )


def _place(place: Place) -> grid_pb2.Place:
    return grid_pb2.Place(
        code=place.code,
        name=place.name,
        kind=grid_pb2.PLACE_KIND_BUILDING
        if place.kind is PlaceKind.BUILDING
        else grid_pb2.PLACE_KIND_UNIT,
        grid_code=place.grid_code,
        parent_code=place.parent_code or "",
    )


def _category(category: Category) -> grid_pb2.Category:
    return grid_pb2.Category(
        code=category.code,
        name_zh=category.name_zh,
        name_en=category.name_en,
        top_level_code=category.top_level_code,
        parent_code=category.parent_code or "",
        priority=_PRIORITIES[category.priority],
        verify_sla_minutes=category.verify_sla_minutes,
        handle_sla_minutes=category.handle_sla_minutes,
        business_calendar=category.business_calendar,
    )


def _department(department: Department) -> grid_pb2.Department:
    return grid_pb2.Department(
        code=department.code,
        name_zh=department.name_zh,
        name_en=department.name_en,
        head_person_id=department.head_person_id or "",
    )


def _grid(spec: GridSpec, snapshot: GridSetSnapshot) -> grid_pb2.Grid:
    return grid_pb2.Grid(
        code=spec.code,
        name=spec.name,
        level=spec.level,
        parent_code=spec.parent_code or "",
        path=snapshot.grids.path(spec.code),
        grid_set_version=snapshot.version,
    )


def _role_from_proto(value: int) -> MemberRole | None:
    if value == grid_pb2.MEMBER_ROLE_UNSPECIFIED:
        return None
    role = _ROLES_BY_VALUE.get(value)
    if role is None:
        raise InvalidArgument.single("role", f"unknown member role {value}")
    return role


def _member(member: Member) -> grid_pb2.Member:
    return grid_pb2.Member(
        person_id=member.person_id,
        display_name=member.display_name,
        role=_ROLES[member.role],
        grid_code=member.grid_code,
        email=member.email,
        phone=member.phone,
        language=member.language,
        department_code=member.department_code,
        place_code=member.place_code,
    )
