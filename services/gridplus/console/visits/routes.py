"""The visits area: its header link and roles, and what its pages share (care group names,
households as a select shows them, outlines of a household's grid for the map)."""

from __future__ import annotations

import grpc
from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from gridplus.api.grid.v1 import grid_pb2, households_pb2
from gridplus.console.board.shapes import feature_collection
from gridplus.console.grpc_calls import ServiceStubs, stubs
from gridplus.console.i18n import current_language
from gridplus.console.nav import AreaBlueprint, NavLink
from gridplus.console.session import requires
from gridplus.kit.cache import TtlCache
from gridplus.kit.roles import Role

# The registry shows households to their own grid's workers and chiefs; a visit is a worker's;
# chiefs read the diaries of the workers of their subtree.
VISIT_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
RECORD_ROLES = frozenset({Role.GRID_WORKER})
GROUPS_KEY = "gridplus.console.visits.care_groups"
GROUPS_SECONDS = 600.0
OUTLINE_SIMPLIFY_M = 5.0
LIST_SIZE = 500  # a smallest grid holds a few hundred households: one page


def blueprint() -> AreaBlueprint:
    from gridplus.console.visits import diary, households, record

    area = AreaBlueprint(
        "visits", __name__, nav=[NavLink("visits.care", "visits.nav", VISIT_ROLES)]
    )
    households.register(area)
    record.register(area)
    diary.register(area)

    @area.get("/visits/place")
    @requires(*VISIT_ROLES)
    def place() -> ResponseReturnValue:
        """A household's grid among its neighbours, as GeoJSON for the map of the visit form."""
        code = request.args.get("grid", "").strip()[:64]
        return jsonify(outlines_of(stubs(), code))

    return area


def care_group_names() -> dict[str, str]:
    """Care group code -> its name in the page's language (the registry's list, cached)."""
    cache: TtlCache[list[households_pb2.CareGroup]] = current_app.extensions.setdefault(
        GROUPS_KEY, TtlCache(GROUPS_SECONDS, stale_on=(grpc.RpcError,))
    )
    groups = cache.get(
        "all",
        lambda: list(
            stubs().households.ListCareGroups(households_pb2.ListCareGroupsRequest()).care_groups
        ),
    )
    zh = current_language() == "zh"
    return {g.code: (g.name_zh if zh else g.name_en) or g.code for g in groups}


def household_label(household: households_pb2.Household) -> str:
    """How a list names a household: its place, unit and street (masked in lists)."""
    parts = [household.place_code, household.unit, household.address]
    return " · ".join(part for part in parts if part) or household.household_id


def grid_households(calls: ServiceStubs, grid_code: str = "") -> list[households_pb2.Household]:
    """The households of a grid subtree (the caller's grids when empty), masked."""
    answer = calls.households.ListHouseholds(
        households_pb2.ListHouseholdsRequest(grid_code=grid_code, page_size=LIST_SIZE)
    )
    return list(answer.households)


def labels_of(calls: ServiceStubs) -> dict[str, str]:
    """household id -> its masked label: dispatch holds ids only, the registry the places."""
    try:
        return {h.household_id: household_label(h) for h in grid_households(calls)}
    except grpc.RpcError:
        return {}  # the ids still show; the page works without the registry's labels


def outlines_of(calls: ServiceStubs, code: str) -> dict[str, object]:
    empty: dict[str, object] = {"type": "FeatureCollection", "features": []}
    if not code:
        return {"grid_code": "", "outlines": empty}
    grid = calls.grid.GetGrid(grid_pb2.GetGridRequest(code=code)).grid
    answer = calls.grid.ListGridBoundaries(
        grid_pb2.ListGridBoundariesRequest(
            parent_code=grid.parent_code, level=grid.level, simplify_meters=OUTLINE_SIMPLIFY_M
        )
    )
    return {"grid_code": grid.code, "outlines": feature_collection(answer)}
