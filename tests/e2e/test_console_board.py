"""The red-light map board in real Chromium on the shared stack: a chief watches a grid go red
when a petition passes its deadline and back when it is resolved, in the same page (server-sent
events, no reload); another grid's chief never sees it; a resident gets the refusal."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page

from gridplus.api.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role
from tests.e2e.client import TIMES_SQUARE, channel, grpc_metadata, submit, wait_for_status
from tests.e2e.console_areas import Console, running_console
from tests.support.browser import DESKTOP, PHONE, Viewport, check_page
from tests.support.browser_fixtures import chromium  # noqa: F401
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

# The shared stack gives nyc.sewer a 2 s verify step (tests/e2e/conftest.py): red at once.
SEWER = "nyc.sewer"
GRID = "MN0502"


@pytest.fixture(scope="module")
def console(stack: LocalStack) -> Iterator[Console]:
    with running_console(stack, {"BOARD_POLL_SECONDS": 0.5}) as running:
        yield running


def lights_of(page: Page, selector: str) -> tuple[int, int, int]:
    element = page.locator(selector)
    return (
        int(element.get_attribute("data-light-red") or -1),
        int(element.get_attribute("data-light-yellow") or -1),
        int(element.get_attribute("data-light-green") or -1),
    )


def counted_by_dispatch(stack: LocalStack) -> tuple[int, int, int]:
    """The grid's lights as dispatch counts them now (the chief sees the whole grid)."""
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    answer = dispatch.CountLights(
        dispatch_pb2.CountLightsRequest(level=3, grid_code=GRID),
        metadata=grpc_metadata(stack),
        timeout=10,
    )
    found = [(g.red, g.yellow, g.green) for g in answer.grids if g.grid_code == GRID]
    return found[0] if found else (0, 0, 0)


def shows_dispatch(stack: LocalStack, page: Page, selector: str) -> bool:
    return lights_of(page, selector) == counted_by_dispatch(stack)


def board_seen(stack: LocalStack, page: Page, selector: str, before: tuple[int, int, int]) -> str:
    """What a failure needs to tell a stale page from dispatch's own count."""
    status = page.locator("#board-status").get_attribute("data-state")
    return (
        f"page {lights_of(page, selector)} (before {before}), stream {status},"
        f" dispatch counts {counted_by_dispatch(stack)}"
    )


def until(check: Callable[[], object], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.2)


def open_board(
    browser: Browser, console: Console, token: str, path: str, viewport: Viewport = DESKTOP
) -> Page:
    page = console.open(browser, token, path, viewport)
    page.wait_for_selector("#board-map[data-drawn='true']", timeout=15_000)
    page.wait_for_selector("#board-status[data-state='live']", timeout=15_000)
    return page


def test_a_chief_sees_the_grid_go_red_and_back_without_reloading(
    stack: LocalStack,
    console: Console,
    chromium: Browser,  # noqa: F811
) -> None:
    chief = console.token(Role.GRID_CHIEF, "c-MN0502", grids=(GRID,))
    page = open_board(chromium, console, chief, f"/map?grid={GRID}")
    row = f"#board-grids tr[data-grid-code='{GRID}']"
    polygon = f"#board-map path[data-grid-code='{GRID}']"
    before = lights_of(page, row)
    assert lights_of(page, polygon) == before
    page.evaluate("() => { window.sameDocument = 'still here'; }")

    petition_id = submit(
        stack,
        {"title": "Sewer backing up", "description": "dirty water", "category": SEWER}
        | TIMES_SQUARE,
    )
    wait_for_status(stack, petition_id, "ASSIGNED", timeout=15)
    overdue_row = page.locator(f"#board-overdue tr[data-petition-id='{petition_id}']")
    # The grid's other open petitions change light with time too: the page is compared with
    # what dispatch counts at that moment, and this petition must be among the red ones.
    until(
        lambda: overdue_row.count() == 1 and shows_dispatch(stack, page, row),
        30,
        f"the board did not show the petition red: {board_seen(stack, page, row, before)}",
    )
    assert lights_of(page, row)[0] >= 1
    assert lights_of(page, polygon) == lights_of(page, row)
    # Into the petition: its page in My work.
    link = overdue_row.locator("a").get_attribute("href")
    assert link == f"/work/petitions/{petition_id}"
    assert page.evaluate("() => window.sameDocument") == "still here"  # never reloaded
    check_page(page, "console-board-red-desktop")

    # Another grid's chief: the same view, none of this grid's petitions.
    neighbour = console.token(Role.GRID_CHIEF, "c-MN0501", grids=("MN0501",))
    other = open_board(chromium, console, neighbour, f"/map?grid={GRID}")
    assert lights_of(other, row) == (0, 0, 0)
    assert other.locator(f"tr[data-petition-id='{petition_id}']").count() == 0
    other.context.close()

    petitions = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    admin = grpc_metadata(stack)
    petitions.VerifyPetition(
        petition_pb2.VerifyPetitionRequest(request_id=str(uuid.uuid4()), id=petition_id),
        metadata=admin,
        timeout=10,
    )
    petitions.ResolvePetition(
        petition_pb2.ResolvePetitionRequest(
            request_id=str(uuid.uuid4()), id=petition_id, note="cleared the drain"
        ),
        metadata=admin,
        timeout=10,
    )
    wait_for_status(stack, petition_id, "RESOLVED", timeout=15)
    until(
        lambda: overdue_row.count() == 0 and shows_dispatch(stack, page, row),
        30,
        f"the petition stayed on the board: {board_seen(stack, page, row, before)}",
    )
    assert lights_of(page, polygon) == lights_of(page, row)
    assert page.evaluate("() => window.sameDocument") == "still here"
    page.context.close()


def test_the_board_at_each_level_fits_a_phone_and_a_desktop(
    console: Console,
    chromium: Browser,  # noqa: F811
) -> None:
    admin = console.token(Role.ADMIN, "admin-demo")
    for viewport in (DESKTOP, PHONE):
        for name, path in (
            ("city", "/map"),
            ("borough", "/map?grid=1"),
            ("grid", f"/map?grid={GRID}"),
        ):
            page = open_board(chromium, console, admin, path, viewport)
            codes = page.locator("#board-grids tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.gridCode)"
            )
            drawn = page.locator("#board-map path[data-grid-code]").evaluate_all(
                "paths => paths.map(p => p.dataset.gridCode)"
            )
            assert codes and sorted(codes) == sorted(drawn)
            check_page(page, f"console-board-{name}-{viewport.name}")
            page.context.close()


def test_drilling_down_by_the_table_reaches_a_grid_and_its_overdue_list(
    console: Console,
    chromium: Browser,  # noqa: F811
) -> None:
    admin = console.token(Role.ADMIN, "admin-demo")
    page = open_board(chromium, console, admin, "/map")
    page.locator("#board-grids a", has_text="Manhattan").click()
    page.wait_for_url("**/map?grid=1")
    page.locator("#board-grids tr[data-grid-code='MN05'] a").click()
    page.wait_for_url("**/map?grid=MN05")
    page.locator(f"#board-grids tr[data-grid-code='{GRID}'] a").click()
    page.wait_for_url(f"**/map?grid={GRID}")
    assert page.locator("#overdue-heading").inner_text().startswith("Overdue petitions in")
    assert page.locator(".crumbs li").count() == 4  # city, borough, district, grid
    page.context.close()


def test_a_resident_gets_the_refusal_and_bad_grid_codes_are_refused(
    console: Console,
    chromium: Browser,  # noqa: F811
) -> None:
    resident = console.token(Role.RESIDENT, "resident-demo")
    page = console.open(chromium, resident, "/map")
    # A 403 page (Chromium logs its status as a console error, so no check_page here).
    assert page.locator("h1").inner_text() == "Not for your role"
    assert page.locator("#board-map").count() == 0
    page.context.close()
    admin = console.token(Role.ADMIN, "admin-demo")
    page = console.open(chromium, admin, "/map?grid=NOPE99")
    assert "Not found" in page.locator("main").inner_text()
    page.context.close()


def test_the_outlines_are_small_and_cached(console: Console, chromium: Browser) -> None:  # noqa: F811
    """Page weight: what the board's first load transfers (gzip where the browser asks)."""
    admin = console.token(Role.ADMIN, "admin-demo")
    page = open_board(chromium, console, admin, "/map?grid=1")
    sizes = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter(e => !e.name.includes('/map/events'))
            .map(e => [e.name.replace(location.origin, ''), e.encodedBodySize])"""
    )
    outlines = sum(size for name, size in sizes if name.startswith("/map/shapes"))
    total = sum(size for _, size in sizes)
    print(f"board page weight (MN boroughs' level 2): outlines {outlines} B, all {total} B")
    assert 0 < outlines < 60_000
    page.context.close()


def test_a_configured_tile_server_lies_under_the_grids(
    stack: LocalStack,
    chromium: Browser,  # noqa: F811
) -> None:
    """GRIDPLUS_CONSOLE_TILE_URL: the map asks the tile server (the page's CSP allows its
    images) and still draws the grids on top."""
    asked: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(TILE)))
            self.end_headers()
            self.wfile.write(TILE)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/tiles/{{z}}/{{x}}/{{y}}.png"
    try:
        with running_console(stack, tile_url=url) as console:
            page = open_board(chromium, console, console.token(Role.ADMIN, "admin-demo"), "/map")
            page.wait_for_selector("img.leaflet-tile-loaded")
            assert asked and all(path.startswith("/tiles/") for path in asked)
            assert page.locator("#board-map path[data-grid-code]").count() == 5
            check_page(page, "console-board-tiles-desktop")
            page.context.close()
    finally:
        server.shutdown()
        thread.join(timeout=5)


# A 1x1 transparent PNG.
TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
    "9c6360000002000154a24f5d0000000049454e44ae426082"
)
