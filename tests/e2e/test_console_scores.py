"""Scores in the console, in real Chromium on the shared stack: rankings with stars, a chart over
the last periods, the CSV download with the ranking's rows; a chief's chart of another grid is
refused by evaluation and says so; a resident gets the refusal."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.console.scores.present import CSV_COLUMNS
from gridplus.kit.auth import Role
from tests.e2e.client import TIMES_SQUARE, channel, grpc_metadata, submit, wait_for_status
from tests.e2e.console_areas import Console, running_console
from tests.support.browser import DESKTOP, PHONE, check_page
from tests.support.browser_fixtures import chromium  # noqa: F401
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

RANKING = "/scores?kind=grid&level=3&period=month"


@pytest.fixture(scope="module")
def console(stack: LocalStack) -> Iterator[Console]:
    with running_console(stack) as running:
        yield running


@pytest.fixture(scope="module")
def ranked(stack: LocalStack) -> list[str]:
    """The month's level-3 grid ranking once it holds MN0502 (a petition routed there)."""
    petition_id = submit(
        stack, {"title": "Broken bench", "description": "in the square"} | TIMES_SQUARE
    )
    wait_for_status(stack, petition_id, "ASSIGNED", timeout=15)
    stub = evaluation_pb2_grpc.EvaluationServiceStub(channel(stack, "evaluation"))
    request = pb.ListRankingsRequest(
        kind=pb.SUBJECT_KIND_GRID,
        grid_level=3,
        period=pb.PeriodSelector(kind=pb.PERIOD_KIND_MONTH),
    )
    deadline = time.monotonic() + 20
    while True:
        entries = stub.ListRankings(request, metadata=grpc_metadata(stack), timeout=5).entries
        subjects = [entry.subject_id for entry in entries]
        if "MN0502" in subjects:
            return subjects
        if time.monotonic() > deadline:
            raise AssertionError(f"evaluation never ranked MN0502: {subjects}")
        time.sleep(0.3)


def test_rankings_chart_and_csv_for_an_administrator(
    console: Console,
    ranked: list[str],
    chromium: Browser,  # noqa: F811
) -> None:
    admin = console.token(Role.ADMIN, "admin-demo")
    for viewport in (DESKTOP, PHONE):
        page = console.open(chromium, admin, RANKING, viewport)
        page.wait_for_selector("#scores-chart[data-drawn='true'] canvas")
        shown = page.locator("#scores-ranking tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.subjectId)"
        )
        assert shown[: len(ranked)] == ranked[: len(shown)] and "MN0502" in shown
        assert page.locator(".chart-table tbody tr").count() == 6  # six months
        check_page(page, f"console-scores-{viewport.name}")
        if viewport is DESKTOP:
            with page.expect_download() as download:
                page.click("#scores-csv")
            assert download.value.suggested_filename.startswith("scores-grid-l3-month-")
            text = download.value.path().read_text(encoding="utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            assert tuple(rows[0]) == CSV_COLUMNS
            assert [row[1] for row in rows[1:]] == shown
            mn0502 = next(row for row in rows[1:] if row[1] == "MN0502")
            assert mn0502[2] == "Midtown-Times Square"
            assert int(mn0502[7]) >= 1  # assigned_count
        page.context.close()


def test_the_page_in_chinese(console: Console, ranked: list[str], chromium: Browser) -> None:  # noqa: F811
    admin = console.token(Role.ADMIN, "admin-demo")
    page = console.open(chromium, admin, RANKING + "&lang=zh", locale="zh-CN")
    assert page.locator("h1").inner_text() == "考评、排名与评星"
    page.wait_for_selector("#scores-chart[data-drawn='true'] canvas")
    check_page(page, "console-scores-zh-desktop")
    page.context.close()


def test_a_chief_charts_their_grid_and_is_refused_another(
    console: Console,
    ranked: list[str],
    chromium: Browser,  # noqa: F811
) -> None:
    chief = console.token(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
    own = console.open(chromium, chief, RANKING + "&subject=MN0502")
    own.wait_for_selector("#scores-chart[data-drawn='true']")
    assert own.locator("#chart-refused").count() == 0
    own.context.close()
    other = console.open(chromium, chief, RANKING + "&subject=MN0501")
    assert other.locator("#chart-refused").is_visible()  # evaluation's refusal, in its place
    assert other.locator("#scores-chart").count() == 0
    assert other.locator("#scores-ranking tbody tr").count() >= 1  # rankings are public
    check_page(other, "console-scores-chief-refused-desktop")
    other.context.close()


def test_a_resident_is_refused_and_a_bad_query_is_named(
    console: Console,
    chromium: Browser,  # noqa: F811
) -> None:
    page = console.open(chromium, console.token(Role.RESIDENT, "resident-demo"), "/scores")
    assert page.locator("h1").inner_text() == "Not for your role"
    page.context.close()
    admin = console.token(Role.ADMIN, "admin-demo")
    page = console.open(chromium, admin, "/scores?kind=planet")
    assert "The request was not understood." in page.locator("main").inner_text()
    page.context.close()


def test_the_csv_download_is_refused_without_a_sign_in(console: Console) -> None:
    answer = requests.get(console.url + "/scores/export.csv", timeout=5, allow_redirects=False)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
