"""The scores page and its CSV download. Rankings and stars are public to staff; a scorecard is
evaluation's to give or refuse (a chief sees their own grids', a department its own): a refused
chart says so in its place, the rest of the page stays."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.grid.v1 import grid_pb2
from gridplus.console.grpc_calls import CallRefusal, ServiceStubs, refusal_of, stubs
from gridplus.console.i18n import current_language
from gridplus.console.nav import STAFF, AreaBlueprint, NavLink
from gridplus.console.scores import present
from gridplus.console.scores.digest import chief_digests
from gridplus.console.scores.present import BadQuery, Query
from gridplus.console.session import current_user, requires
from gridplus.console.work.petition_page import categories

SCORE_ROLES = STAFF


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint(
        "scores", __name__, nav=[NavLink("scores.index", "scores.nav", SCORE_ROLES)]
    )

    @area.get("/scores", endpoint="index")
    @requires(*SCORE_ROLES)
    def index() -> ResponseReturnValue:
        query = _query()
        calls = stubs()
        ranking: pb.ListRankingsResponse | None = None
        refused: CallRefusal | None = None
        if query.kind != "city":
            try:
                ranking = _ranking(calls, query)
            except grpc.RpcError as error:
                refused = refusal_of(error)
        chart, chart_refused = _chart(calls, query)
        user = current_user()
        assert user is not None
        digests = chief_digests(calls, user)
        return render_template(
            "scores/index.html",
            query=query,
            ranking=ranking,
            refused=refused,
            names=_names(calls, query),
            chart=chart,
            chart_refused=chart_refused,
            rates=present.RATES,
            coverage=present.COVERAGE,
            coverage_cell=present.coverage_cell,
            digests=digests,
            category_names=dict(categories()) if digests else {},
            kinds=list(present.KINDS),
            periods=list(present.PERIODS),
        )

    @area.get("/scores/export.csv", endpoint="export")
    @requires(*SCORE_ROLES)
    def export() -> ResponseReturnValue:
        query = _query()
        calls = stubs()
        if query.kind == "city":
            card = calls.evaluation.GetScorecard(
                pb.GetScorecardRequest(kind=pb.SUBJECT_KIND_CITY, period=query.selector())
            ).scorecard
            entries = [pb.RankingEntry(rank=1, subject_id="city", scorecard=card)]
        else:
            entries = list(_ranking(calls, query).entries)
        document = present.csv_document(present.csv_rows(entries, _names(calls, query)))
        response = Response(document.encode("utf-8"), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="{query.file_name()}"'
        return response

    return area


def _query() -> Query:
    try:
        return present.parse_query(request.args, datetime.now(UTC).date())
    except BadQuery:
        abort(400)


def _ranking(calls: ServiceStubs, query: Query) -> pb.ListRankingsResponse:
    return calls.evaluation.ListRankings(
        pb.ListRankingsRequest(
            kind=present.KINDS[query.kind],
            grid_level=query.level if query.kind == "grid" else 0,
            period=query.selector(),
        )
    )


def _chart(
    calls: ServiceStubs, query: Query
) -> tuple[dict[str, object] | None, CallRefusal | None]:
    """The chart subject's scorecards over the last periods (the city's without a subject)."""
    anchors = present.chart_anchors(query.period, query.anchor)
    futures = [
        calls.evaluation.GetScorecard.future(
            pb.GetScorecardRequest(
                kind=query.chart_kind, subject_id=query.subject, period=query.selector(anchor)
            )
        )
        for anchor in anchors
    ]
    try:
        cards = [future.result().scorecard for future in futures]
    except grpc.RpcError as error:
        return None, refusal_of(error)
    return present.chart_data(query.period, anchors, cards), None


def _names(calls: ServiceStubs, query: Query) -> dict[str, str]:
    """Display names of the ranked subjects: grids' and departments' (workers show their id)."""
    zh = current_language() == "zh"
    if query.kind == "department":
        departments = calls.grid.ListDepartments(grid_pb2.ListDepartmentsRequest()).departments
        return {d.code: (d.name_zh if zh else d.name_en) or d.code for d in departments}
    if query.kind != "grid":
        return {}
    names: dict[str, str] = {}
    token = ""
    while True:
        page = calls.grid.ListGrids(
            grid_pb2.ListGridsRequest(level=query.level, page_size=100, page_token=token)
        )
        names.update((grid.code, grid.name) for grid in page.grids)
        token = page.next_page_token
        if not token:
            return names
