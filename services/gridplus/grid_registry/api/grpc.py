"""GridRegistryService: proto in, use case, proto out."""

from __future__ import annotations

import grpc

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.grid_registry import handlers
from gridplus.grid_registry.api import page_tokens
from gridplus.grid_registry.current import CurrentGridSet
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.listing import GridQuery
from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.grid_registry.handlers import GridSetSnapshot
from gridplus.kit.auth import ALL_ROLES, STAFF_ROLES
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
        "ListMembers": STAFF_ROLES,
    },
)

_ROLES: dict[MemberRole, grid_pb2.MemberRole] = {
    MemberRole.GRID_WORKER: grid_pb2.MEMBER_ROLE_GRID_WORKER,
    MemberRole.GRID_CHIEF: grid_pb2.MEMBER_ROLE_GRID_CHIEF,
    MemberRole.BUILDING_CHIEF: grid_pb2.MEMBER_ROLE_BUILDING_CHIEF,
    MemberRole.UNIT_CHIEF: grid_pb2.MEMBER_ROLE_UNIT_CHIEF,
    MemberRole.STREET_CHIEF: grid_pb2.MEMBER_ROLE_STREET_CHIEF,
    MemberRole.LANE_CHIEF: grid_pb2.MEMBER_ROLE_LANE_CHIEF,
    MemberRole.DEPARTMENT_STAFF: grid_pb2.MEMBER_ROLE_DEPARTMENT_STAFF,
    MemberRole.DEPARTMENT_HEAD: grid_pb2.MEMBER_ROLE_DEPARTMENT_HEAD,
    MemberRole.INSPECTOR: grid_pb2.MEMBER_ROLE_INSPECTOR,
    MemberRole.VOLUNTEER: grid_pb2.MEMBER_ROLE_VOLUNTEER,
}
_ROLES_BY_VALUE: dict[int, MemberRole] = {int(value): role for role, value in _ROLES.items()}


class GridRegistryServicer(grid_pb2_grpc.GridRegistryServiceServicer):
    def __init__(self, current: CurrentGridSet, sessions: SessionFactory) -> None:
        self._current = current
        self._sessions = sessions

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
            found = handlers.members(session, snapshot, grid_code=request.grid_code, role=role)
        return grid_pb2.ListMembersResponse(members=[_member(member) for member in found])


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
    )
