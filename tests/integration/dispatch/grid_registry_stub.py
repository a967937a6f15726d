"""A small stand-in for the grid registry: three hand-made square grids and their people, served
over real gRPC (a GridRegistryService servicer behind the kit's GrpcServer, with JWT auth), and the
same squares as a fake GridDirectory for tests that need no network."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import grpc

from gridplus.api.common.v1 import common_pb2
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.dispatch.api.convert import ROLES_FROM_PROTO, category_from_proto
from gridplus.dispatch.domain.categories import Category
from gridplus.dispatch.domain.places import GridPlace, Member
from gridplus.dispatch.ports import ChainLevel, Department, GridDirectory
from gridplus.kit.auth import Role
from gridplus.kit.config import JwtSettings
from gridplus.kit.errors import NotFound
from gridplus.kit.grpc_server import GrpcServer
from gridplus.kit.interceptors import service_policy
from tests.support.grpc import start_server

GRID_SET_VERSION = 1
# Grid-registry's own taxonomy (dispatch keeps none): the stub serves its seed as it is.
SEED = Path(__file__).resolve().parents[3] / "services/gridplus/grid_registry/seed/categories.csv"
PRIORITIES = {
    "low": grid_pb2.CATEGORY_PRIORITY_LOW,
    "normal": grid_pb2.CATEGORY_PRIORITY_NORMAL,
    "high": grid_pb2.CATEGORY_PRIORITY_HIGH,
    "urgent": grid_pb2.CATEGORY_PRIORITY_URGENT,
}


@cache
def seed_categories() -> tuple[grid_pb2.Category, ...]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return tuple(
            grid_pb2.Category(
                code=row["code"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                top_level_code=row["top_level_code"],
                parent_code=row["parent_code"],
                priority=PRIORITIES[row["priority"]],
                verify_sla_minutes=int(row["verify_sla_minutes"]),
                handle_sla_minutes=int(row["handle_sla_minutes"]),
                business_calendar=row["business_calendar"] == "true",
            )
            for row in rows
        )


def seed_category(code: str) -> Category | None:
    found = [c for c in seed_categories() if c.code == code]
    return category_from_proto(found[0]) if found else None


@dataclass(frozen=True)
class Square:
    code: str
    path: tuple[str, ...]
    south: float
    west: float
    size: float  # degrees
    members: tuple[tuple[str, grid_pb2.MemberRole], ...]  # (person id, role)

    def contains(self, lat: float, lon: float) -> bool:
        return (
            self.south <= lat < self.south + self.size and self.west <= lon < self.west + self.size
        )

    def centre(self) -> tuple[float, float]:
        return self.south + self.size / 2, self.west + self.size / 2


WORKER, CHIEF = grid_pb2.MEMBER_ROLE_GRID_WORKER, grid_pb2.MEMBER_ROLE_GRID_CHIEF
SQUARES = (
    # Two workers (listed out of order), a chief, and a volunteer who never takes petitions.
    Square(
        "MN0502",
        ("1", "MN05", "MN0502"),
        40.70,
        -74.00,
        0.01,
        (
            ("w-MN0502-2", WORKER),
            ("w-MN0502-1", WORKER),
            ("c-MN0502", CHIEF),
            ("v-MN0502-1", grid_pb2.MEMBER_ROLE_VOLUNTEER),
        ),
    ),
    Square("MN0503", ("1", "MN05", "MN0503"), 40.71, -74.00, 0.01, (("c-MN0503", CHIEF),)),
    Square("BK0101", ("3", "BK01", "BK0101"), 40.68, -73.96, 0.01, ()),
    Square(
        "BK0602",
        ("3", "BK06", "BK0602"),
        40.66,
        -73.98,
        0.01,
        (("w-BK0602-1", WORKER), ("w-BK0602-2", WORKER), ("c-BK0602", CHIEF)),
    ),
)
OUTSIDE = (41.5, -75.0)  # in no square: out of jurisdiction
# Level-2 grids and their people (chiefs above the squares); BK01 has nobody.
PARENTS: dict[str, tuple[tuple[str, grid_pb2.MemberRole], ...]] = {
    "MN05": (("c-MN05", CHIEF),),
    "BK01": (),
    "BK06": (("c-BK06", CHIEF),),
}
DEPARTMENT = Department("dep-env", "h-dep-env", "department dep-env answers for everything here")
# The departments ListDepartments would list (a transfer or whistle naming another is refused).
KNOWN_DEPARTMENTS = frozenset({"dep-env", "dep-police", "dep-roads", "DSNY", "NYPD", "DOT"})


def square(code: str) -> Square:
    return next(s for s in SQUARES if s.code == code)


def members_of(code: str) -> tuple[tuple[str, grid_pb2.MemberRole], ...]:
    found = [s for s in SQUARES if s.code == code]
    return found[0].members if found else PARENTS.get(code, ())


def _find(lat: float, lon: float) -> Square | None:
    return next((s for s in SQUARES if s.contains(lat, lon)), None)


class SquareGridsServicer(grid_pb2_grpc.GridRegistryServiceServicer):
    def __init__(self, *, serves_chain: bool = False) -> None:
        self.calls: list[str] = []
        # GetChain and ListDepartments as grid-registry serves them now; off: UNIMPLEMENTED.
        self.serves_chain = serves_chain

    def LocateGrid(
        self, request: grid_pb2.LocateGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.LocateGridResponse:
        self.calls.append("LocateGrid")
        found = _find(request.lat, request.lon)
        if found is None:
            raise NotFound(f"({request.lat}, {request.lon}) lies in no grid")
        return grid_pb2.LocateGridResponse(
            grid=common_pb2.GridRef(
                code=found.code, level=3, path=found.path, grid_set_version=GRID_SET_VERSION
            )
        )

    def ListMembers(
        self, request: grid_pb2.ListMembersRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListMembersResponse:
        self.calls.append("ListMembers")
        members = members_of(request.grid_code)
        return grid_pb2.ListMembersResponse(
            members=[
                grid_pb2.Member(person_id=pid, role=role, grid_code=request.grid_code)
                for pid, role in members
            ]
        )

    def ListCategories(
        self, request: grid_pb2.ListCategoriesRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListCategoriesResponse:
        self.calls.append("ListCategories")
        return grid_pb2.ListCategoriesResponse(categories=seed_categories())

    def GetChain(
        self, request: grid_pb2.GetChainRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetChainResponse:
        self.calls.append("GetChain")
        if not self.serves_chain:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "GetChain is not served")
        path = square(request.grid_code).path
        return grid_pb2.GetChainResponse(
            levels=[
                grid_pb2.ChainLevel(
                    grid=grid_pb2.Grid(
                        code=code,
                        level=level,
                        path=path[:level],
                        grid_set_version=GRID_SET_VERSION,
                    ),
                    members=[
                        grid_pb2.Member(person_id=pid, role=role, grid_code=code)
                        for pid, role in members_of(code)
                    ],
                )
                for level, code in enumerate(path, start=1)
            ]
        )

    def ListDepartments(
        self, request: grid_pb2.ListDepartmentsRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListDepartmentsResponse:
        self.calls.append("ListDepartments")
        if not self.serves_chain:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "ListDepartments is not served")
        head = grid_pb2.Department(code=DEPARTMENT.code, head_person_id=DEPARTMENT.head_person_id)
        return grid_pb2.ListDepartmentsResponse(departments=[head])


class StubGridRegistry:
    """The stub behind a real kit GrpcServer on a fixed port: stop and start it again to play
    an outage."""

    def __init__(self, port: int, jwt: JwtSettings) -> None:
        self.port = port
        self.servicer = SquareGridsServicer()
        self._jwt = jwt
        self._server: GrpcServer | None = None

    def start(self) -> StubGridRegistry:
        name = grid_pb2.DESCRIPTOR.services_by_name["GridRegistryService"].full_name
        self._server = start_server(
            lambda server: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(
                self.servicer, server
            ),
            name,
            service_policy(
                name,
                {
                    method: frozenset({Role.SERVICE})
                    for method in (
                        "LocateGrid",
                        "ListMembers",
                        # Served when `servicer.serves_chain`, else UNIMPLEMENTED.
                        "ListDepartments",
                        "GetChain",
                        # The seed's taxonomy, as grid-registry serves it.
                        "ListCategories",
                        # Not implemented by this stub (UNIMPLEMENTED): no department.
                        "ResolveResponsibility",
                    )
                },
            ),
            jwt=self._jwt,
            port=self.port,
        )
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(0).wait(5)
            self._server = None


class FakeGridDirectory(GridDirectory):
    """The same squares without the network."""

    def locate(self, lat: float, lon: float) -> GridPlace | None:
        found = _find(lat, lon)
        if found is None:
            return None
        return GridPlace(found.code, 3, found.path, GRID_SET_VERSION)

    def members(self, grid_code: str) -> list[Member]:
        return [
            Member(pid, ROLES_FROM_PROTO[role])
            for pid, role in members_of(grid_code)
            if role in ROLES_FROM_PROTO
        ]

    def category(self, code: str) -> Category | None:
        return seed_category(code)

    def top_level_named(self, name_zh: str) -> Category | None:
        found = [
            c for c in seed_categories() if c.code == c.top_level_code and c.name_zh == name_zh
        ]
        return category_from_proto(found[0]) if found else None

    def department(self, category_code: str, grid_code: str) -> Department | None:
        return DEPARTMENT if grid_code.startswith("MN") else None

    def department_head(self, department_code: str) -> str:
        return DEPARTMENT.head_person_id if department_code == DEPARTMENT.code else ""

    def department_codes(self) -> frozenset[str] | None:
        return KNOWN_DEPARTMENTS

    def chain(self, grid_code: str) -> list[ChainLevel]:
        path = square(grid_code).path
        return [
            ChainLevel(code, level, tuple(p for p, r in members_of(code) if r == CHIEF))
            for level, code in enumerate(path, start=1)
        ]
