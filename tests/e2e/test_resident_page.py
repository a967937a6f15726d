"""The resident page in real headless Chromium against the whole platform (the shared stack):
a resident reports with a photo and a point picked on the map, follows the petition through the
worker's verify and resolve (over gRPC, as the worker's app would), rates it, and sees it closed
with their rating; every state fits a desktop and a phone, with no console error and no serious
accessibility finding (tests/support/browser.py check_page)."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, Request

from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from tests.e2e.client import TIMES_SQUARE, channel, get, submit, wait_for_status
from tests.support.browser import (
    DESKTOP,
    PHONE,
    Viewport,
    check_page,
    open_page,
    problems_of,
)
from tests.support.browser_fixtures import chromium  # noqa: F401
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

NEWARK = (40.80, -74.15)  # across the Hudson: inside the map's view, outside the city
PHOTO_LIMIT = 10 * 1024 * 1024  # the stack's default GRIDPLUS_PETITION_PHOTO_MAX_BYTES
GREY = "rgb(154, 165, 177)"  # --grey: a dot without a light
WAIT = 30.0  # each hop goes through Kafka and a consumer
SMALL_PHONE = Viewport("phone375", 375, 667, is_mobile=True)


def eventually(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout}s; last: {value!r}"
        time.sleep(0.2)


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def signed_in(browser: Any, stack: LocalStack, viewport: Viewport) -> Page:
    """The page with the resident's token in this tab, as after signing in."""
    page = open_page(browser, stack.http_url + "/", viewport)
    page.evaluate(
        "token => sessionStorage.setItem('gridplus.token', token)", stack.token(Role.RESIDENT)
    )
    page.reload()
    page.wait_for_selector("#signout:visible")
    return page


def click_map(page: Page, lat: float, lon: float) -> None:
    """A real mouse click where the map draws (lat, lon)."""
    page.wait_for_selector("#map .leaflet-interactive")
    point = page.evaluate("([lat, lon]) => map.latLngToContainerPoint([lat, lon])", [lat, lon])
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.locator("#map").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def worker_metadata(stack: LocalStack, worker_id: str, grid: str) -> list[tuple[str, str]]:
    jwt = JwtSettings(stack.credentials["jwt_secret"], "gridplus")
    token = mint_token(jwt, subject=worker_id, role=Role.GRID_WORKER, grid_codes=(grid,))
    return [("authorization", f"Bearer {token}")]


def resolve_as_worker(stack: LocalStack, petition_id: str) -> None:
    """The assigned grid worker verifies and resolves it from their app (gRPC)."""
    wait_for_status(stack, petition_id, "ASSIGNED", timeout=WAIT)
    staff_view = get(stack, petition_id, Role.ADMIN)
    grid = staff_view["grid"]["code"]
    assert grid.startswith("MN0"), grid  # midtown: a map click is only as exact as a pixel
    metadata = worker_metadata(stack, staff_view["assignee_id"], grid)
    stub = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    stub.VerifyPetition(
        petition_pb2.VerifyPetitionRequest(request_id=str(uuid.uuid4()), id=petition_id),
        metadata=metadata,
        timeout=5,
    )
    stub.ResolvePetition(
        petition_pb2.ResolvePetitionRequest(
            request_id=str(uuid.uuid4()), id=petition_id, note="The lamp was replaced."
        ),
        metadata=metadata,
        timeout=5,
    )


def follow_up_pending(stack: LocalStack, petition_id: str) -> bool:
    response = requests.get(
        f"{stack.http_url}/api/v1/petitions/{petition_id}/follow-up",
        headers={"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"},
        timeout=10,
    )
    return bool(response.status_code == 200 and response.json()["pending"])


def many_petitions(stack: LocalStack, count: int) -> None:
    """Enough rows that My petitions pages, with long titles that must wrap on a phone."""
    for n in range(count):
        body = {
            "title": f"Overflowing recycling bins behind building {n} on West 44th Street",
            "description": "Bins have not been emptied for a week.",
            **TIMES_SQUARE,
        }
        submit(stack, body)


def expected_refusal(page: Page, status: str, url: str) -> None:
    """Chromium logs every 4xx answer as a console error; forget the one the test caused."""
    errors = problems_of(page).errors
    assert errors and all(status in e and url in e for e in errors), errors
    errors.clear()


def badges_inside_their_card(page: Page) -> list[str]:
    """Rows whose status badge is drawn outside the My petitions card."""
    return list(
        page.evaluate(
            """() => {
              const card = document.getElementById('mine-card').getBoundingClientRect();
              return [...document.querySelectorAll('#petitions .badge')]
                .filter(b => { const r = b.getBoundingClientRect();
                               return r.right > card.right + 0.5 || r.left < card.left - 0.5; })
                .map(b => b.closest('button').dataset.petition);
            }"""
        )
    )


def test_a_resident_reports_on_the_map_follows_rates_and_sees_it_closed(
    chromium: Any,  # noqa: F811
    stack: LocalStack,
    tmp_path: Path,
) -> None:
    many_petitions(stack, 22)
    page = open_page(chromium, stack.http_url + "/", DESKTOP)
    page.wait_for_selector("#token-form:visible")
    check_page(page, "resident-desktop-signed-out")

    # A token the API refuses is not "saved".
    page.fill("#token", "not-a-token")
    page.click("#token-save")
    page.wait_for_selector("#signin-status.bad")
    assert "invalid" in page.inner_text("#signin-status")
    assert page.evaluate("sessionStorage.getItem('gridplus.token')") is None
    # Chromium logs the refused check (401) as a console error: that one was expected.
    expected_refusal(page, "401", "/api/v1/petitions?limit=1")
    page.fill("#token", stack.token(Role.RESIDENT))
    page.click("#token-save")
    page.wait_for_selector("#signout:visible")
    assert "saved" in page.inner_text("#signin-status")

    uploads: list[str] = []

    def on_request(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/petitions"):
            uploads.append(request.url)

    page.on("request", on_request)

    # A point outside the city is refused at once, before anything is written or sent.
    click_map(page, *NEWARK)
    page.wait_for_selector('.field[data-field="location"].invalid')
    assert "outside the city" in page.inner_text('.field[data-field="location"] > .error')
    page.click("#report-submit")
    page.wait_for_selector("#report-summary:visible")
    assert "outside the city" in page.inner_text("#report-summary")
    assert uploads == []

    click_map(page, TIMES_SQUARE["lat"], TIMES_SQUARE["lon"])
    page.wait_for_selector("#place-status.ok")
    assert "Manhattan" in page.inner_text("#place-status")
    assert not page.locator('.field[data-field="location"].invalid').count()

    # Categories: searched in either language, grouped by class, named in both languages.
    page.fill("#category-search", "路灯")
    assert page.input_value("#category") == "nyc.street_light_condition"
    page.fill("#category-search", "street light")
    assert page.input_value("#category") == "nyc.street_light_condition"
    label = page.inner_text("#category option:checked")
    assert "Street Light Condition" in label and "路灯" in label
    group = page.evaluate("document.querySelector('#category option:checked').parentElement.label")
    assert group == "Urban and rural construction"

    # Photos are checked in the page, in the page's language, before any upload.
    page.fill("#title", "Street light out at Times Square")
    page.fill("#description", "The lamp on the corner has been dark for three nights.")
    assert "each at most 10 MB" in page.inner_text("#photos-hint")
    big = tmp_path / "big.jpg"
    big.write_bytes(jpeg() + b"\0" * (PHOTO_LIMIT + 1 - len(jpeg())))
    page.set_input_files("#photos", str(big))
    page.wait_for_selector('.field[data-field="photos"].invalid')
    assert "“big.jpg” is 10.0 MB; each photo may be at most 10 MB" in page.inner_text(
        '.field[data-field="photos"] > .error'
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    page.set_input_files("#photos", str(notes))
    assert "“notes.txt” is not a JPEG, PNG or WebP photo" in page.inner_text(
        '.field[data-field="photos"] > .error'
    )
    page.click("#report-submit")
    page.wait_for_selector("#report-summary:visible")
    assert uploads == [], "nothing is uploaded while a photo is refused"
    check_page(page, "resident-desktop-form-errors")

    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(jpeg())
    page.set_input_files("#photos", str(photo))
    assert not page.locator('.field[data-field="photos"].invalid').count()
    check_page(page, "resident-desktop-form")
    page.click("#report-submit")
    page.wait_for_selector("#report-status.ok")
    status = page.inner_text("#report-status")
    petition_id = status.split("number ")[1].split(".")[0]
    assert uploads and get(stack, petition_id)["photos"][0]["media_type"] == "image/jpeg"
    assert get(stack, petition_id)["category"] == "nyc.street_light_condition"

    # My petitions: the light is drawn in colour once the petition is routed.
    wait_for_status(stack, petition_id, "ASSIGNED", timeout=WAIT)
    page.click("#tab-mine")
    row = f'#petitions button[data-petition="{petition_id}"]'
    page.wait_for_selector(row)
    dot = page.locator(f"{row} .dot")
    assert dot.get_attribute("data-light") in {"GREEN", "YELLOW", "RED"}
    colour = dot.evaluate("d => getComputedStyle(d).backgroundColor")
    assert colour != GREY, colour
    assert page.locator("#petitions li").count() == 20 and page.is_visible("#more")
    assert badges_inside_their_card(page) == []
    check_page(page, "resident-desktop-my-petitions")

    # The detail: history in resident words, no worker id, no routing reason.
    page.click(row)
    page.wait_for_selector("#detail-history li")
    history = page.inner_text("#detail-history")
    assert "You reported it" in history and "Sent to the staff of your grid" in history
    detail = page.inner_text("#detail")
    assert "w-MN0" not in detail and "open assignments" not in detail
    assert ".000" not in detail and "T0" not in detail  # no raw ISO instants
    page.wait_for_selector("#detail-photos img")
    check_page(page, "resident-desktop-detail")

    # The worker verifies and resolves; the resident rates it 5.
    resolve_as_worker(stack, petition_id)
    eventually(lambda: follow_up_pending(stack, petition_id), "the follow-up is pending")
    page.click("#refresh")
    page.click(row)
    page.wait_for_selector("#rating-form:visible")
    assert "The lamp was replaced." in page.inner_text("#detail-facts")
    page.select_option("#rating", "5")
    page.click("#rating-submit")
    page.wait_for_selector("#rating-done:visible")
    assert "Thank you for your rating" in page.inner_text("#rating-done")
    page.wait_for_selector('#detail[data-status="CLOSED"]', timeout=WAIT * 1000)
    assert page.inner_text("#detail-status") == "Closed"
    page.wait_for_selector('#your-rating[data-rating="5"]')
    assert "5 of 5 stars" in page.inner_text("#your-rating")
    assert "Thank you for your rating" in page.inner_text("#rating-done")
    history = page.inner_text("#detail-history")
    assert "Resolved: The lamp was replaced." in history and "Closed" in history
    assert "w-MN0" not in page.inner_text("#detail")
    check_page(page, "resident-desktop-rated")

    # The same states on a phone, in Chinese.
    phone = signed_in(chromium, stack, PHONE)
    phone.click("#lang-switch")
    assert phone.inner_text("#tab-mine") == "我的诉求"
    phone.wait_for_selector("#map .leaflet-interactive")
    check_page(phone, "resident-phone-form")
    phone.click("#tab-mine")
    phone.wait_for_selector(row)
    assert badges_inside_their_card(phone) == []
    check_page(phone, "resident-phone-my-petitions")
    phone.click(row)
    phone.wait_for_selector("#your-rating")
    assert "您提交了诉求" in phone.inner_text("#detail-history")
    check_page(phone, "resident-phone-detail")

    # The narrowest common phone: the list still fits.
    small = signed_in(chromium, stack, SMALL_PHONE)
    small.click("#tab-mine")
    small.wait_for_selector(row)
    assert badges_inside_their_card(small) == []
    check_page(small, "resident-phone375-my-petitions")
