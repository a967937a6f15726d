"""The board's page, its outlines and its live stream.

Every call is the signed-in user's: dispatch counts only the petitions the user may see (a chief
of grid A sees A's lights, not B's), grid-registry gives the outlines (public facts)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
from flask import Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.console.board import lights
from gridplus.console.board.shapes import OutlineCache
from gridplus.console.grpc_calls import ServiceStubs, refusal_of, stubs
from gridplus.console.nav import STAFF, AreaBlueprint, NavLink
from gridplus.console.session import current_user, requires
from gridplus.console.work.routes import WORK_ROLES

BOARD_ROLES = STAFF
OVERDUE_SHOWN = 50
# The stream asks dispatch this often (one grouped count and one page of overdue petitions per
# open board), ends after STREAM_SECONDS (the browser reconnects at once), and says it is alive
# at least every KEEPALIVE_SECONDS so proxies keep the connection. Each open stream holds one of
# waitress's threads; CountLights over 100,000 open assignments took ~0.1 s on PostgreSQL (0.04-0.6
# s on SQLite) on the 2-core machine, so a board costs dispatch well under a tenth of a core.
POLL_SECONDS = 3.0
STREAM_SECONDS = 300.0
KEEPALIVE_SECONDS = 15.0
POLL_KEY = "BOARD_POLL_SECONDS"
STREAM_KEY = "BOARD_STREAM_SECONDS"
_CACHE_KEY = "gridplus.console.board.outlines"
_MAX_CODE = 64


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint("board", __name__, nav=[NavLink("board.map", "board.nav", BOARD_ROLES)])

    @area.get("/map", endpoint="map")
    @requires(*BOARD_ROLES)
    def map_page() -> ResponseReturnValue:
        services = stubs()
        view = _view(services)
        children = _children(services, view)
        counts, overdue = _lights(services, view)
        version = children[0].grid_set_version if children else 0
        crumbs = _crumbs(services, view)
        return render_template(
            "board/map.html",
            view=view,
            children=children,
            counts=counts,
            overdue=overdue,
            crumbs=crumbs,
            light_of=lights.light_of,
            shapes_url=url_for(
                "board.shapes", grid=view.area_code, level=view.child_level, v=version
            ),
            events_url=url_for("board.events", grid=view.selected_code),
            petition_url=_petition_url(),
        )

    @area.get("/map/shapes")
    @requires(*BOARD_ROLES)
    def shapes() -> ResponseReturnValue:
        area_code = _code_arg("grid")
        level = request.args.get("level", type=int, default=1)
        if level not in lights.SIMPLIFY_METERS:
            abort(400)
        services = stubs()
        # The current version (one in-memory answer of grid-registry) decides whether the cached
        # outlines still hold.
        probe = services.grid.ListGrids(
            grid_pb2.ListGridsRequest(parent_code=area_code, level=level, page_size=1)
        )
        version = probe.grids[0].grid_set_version if probe.grids else 0
        outlines = _cache().get(
            (area_code, level, version),
            lambda: services.grid.ListGridBoundaries(
                grid_pb2.ListGridBoundariesRequest(
                    parent_code=area_code,
                    level=level,
                    simplify_meters=lights.SIMPLIFY_METERS[level],
                )
            ),
        )
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(
            outlines.gzipped if gzipped else outlines.body, mimetype="application/geo+json"
        )
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["ETag"] = outlines.etag
        # The page asks with ?v=<version>: a new import is a new URL. Private: behind a sign-in.
        response.headers["Cache-Control"] = "private, max-age=86400"
        return response

    @area.get("/map/events")
    @requires(*BOARD_ROLES)
    def events() -> ResponseReturnValue:
        services = stubs()
        view = _view(services)
        poll = float(current_app.config.get(POLL_KEY, POLL_SECONDS))
        length = float(current_app.config.get(STREAM_KEY, STREAM_SECONDS))
        response = Response(_stream(services, view, poll, length), mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        return response

    return area


def _stream(services: ServiceStubs, view: lights.View, poll: float, length: float) -> Iterator[str]:
    """Each change of the view's lights (the first state at once); a `refused` event and the
    end when the user's token is no longer accepted; the end after `length` seconds."""
    yield "retry: 2000\n\n"
    last: dict[str, object] | None = None
    quiet_since = started = time.monotonic()
    while time.monotonic() - started < length:
        try:
            counts, overdue = _lights(services, view)
        except grpc.RpcError as error:
            refused = refusal_of(error)
            if refused.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
                yield ": dispatch unavailable, retrying\n\n"
                time.sleep(poll)
                continue
            yield lights.sse("refused", {"code": refused.code})
            return
        state = lights.snapshot(counts, overdue)
        if state != last:
            yield lights.sse("lights", state)
            last = state
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            quiet_since = time.monotonic()
        time.sleep(poll)


def _lights(
    services: ServiceStubs, view: lights.View
) -> tuple[dict[str, lights.Counts], list[lights.OverdueRow]]:
    counted = services.dispatch.CountLights(
        dispatch_pb2.CountLightsRequest(level=view.child_level, grid_code=view.area_code)
    )
    overdue = services.dispatch.ListOverdue(
        dispatch_pb2.ListOverdueRequest(grid_code=view.selected_code, page_size=OVERDUE_SHOWN)
    )
    return lights.counts_by_grid(counted), lights.overdue_rows(overdue.assignments)


def _view(services: ServiceStubs) -> lights.View:
    code = _code_arg("grid")
    if not code:
        return lights.view_of(None)
    found = services.grid.GetGrid(grid_pb2.GetGridRequest(code=code)).grid
    return lights.view_of(found)


def _children(services: ServiceStubs, view: lights.View) -> list[grid_pb2.Grid]:
    found: list[grid_pb2.Grid] = []
    token = ""
    while True:
        page = services.grid.ListGrids(
            grid_pb2.ListGridsRequest(
                parent_code=view.area_code,
                level=view.child_level,
                page_size=100,
                page_token=token,
            )
        )
        found.extend(page.grids)
        token = page.next_page_token
        if not token:
            return found


def _crumbs(services: ServiceStubs, view: lights.View) -> list[grid_pb2.Grid]:
    """The grids above the selected one, level 1 first, then the selected one."""
    if view.selected is None:
        return []
    above = [
        services.grid.GetGrid(grid_pb2.GetGridRequest(code=code)).grid
        for code in view.selected.path[:-1]
    ]
    return [*above, view.selected]


def _code_arg(name: str) -> str:
    code = request.args.get(name, "").strip()
    if len(code) > _MAX_CODE or any(not (c.isalnum() or c in "-_.") for c in code):
        abort(400)
    return code


def _petition_url() -> str:
    """My work's page of a petition, with PETITION where the id goes; "" when the user's role
    has no My work (inspectors) or the console has no such page."""
    user = current_user()
    if (
        user is None
        or user.role not in WORK_ROLES
        or "work.petition" not in current_app.view_functions
    ):
        return ""
    return url_for("work.petition", petition_id="PETITION")


def _cache() -> OutlineCache:
    cache: OutlineCache | None = current_app.extensions.get(_CACHE_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(_CACHE_KEY, OutlineCache())
    return cache
