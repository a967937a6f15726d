"""The grid registry over gRPC (gridplus.grid.v1.GridRegistryService)."""

from __future__ import annotations

import grpc

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.dispatch.convert import ROLES_FROM_PROTO
from gridplus.dispatch.directory import GridDirectory
from gridplus.dispatch.domain.routing import GridPlace, Member
from gridplus.kit.grpc_client import DEFAULT_DEADLINE_SECONDS


class GrpcGridDirectory(GridDirectory):
    def __init__(self, channel: grpc.Channel, *, timeout: float = DEFAULT_DEADLINE_SECONDS) -> None:
        self._stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        self._timeout = timeout

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
        grid = response.grid
        return GridPlace(
            code=grid.code,
            level=grid.level,
            path=tuple(grid.path) or (grid.code,),
            grid_set_version=grid.grid_set_version,
            snapped=response.snapped,
            snap_distance_meters=response.snap_distance_meters,
        )

    def members(self, grid_code: str) -> list[Member]:
        response = self._stub.ListMembers(
            grid_pb2.ListMembersRequest(grid_code=grid_code), timeout=self._timeout
        )
        return [
            Member(person_id=member.person_id, role=ROLES_FROM_PROTO[member.role])
            for member in response.members
            if member.role in ROLES_FROM_PROTO
        ]
