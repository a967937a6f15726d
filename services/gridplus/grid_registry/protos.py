"""Mappings between domain values and their gridplus.grid.v1 proto enums (API and events)."""

from __future__ import annotations

from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry.domain.members import MemberRole

ROLE_TO_PROTO: dict[MemberRole, grid_pb2.MemberRole] = {
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
