"""The scores page's pure parts: queries, chart periods, and a CSV a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.console.scores import present
from gridplus.console.scores.present import BadQuery

TODAY = date(2026, 12, 4)


def test_a_query_defaults_to_this_month_s_level_1_grids() -> None:
    query = present.parse_query({}, TODAY)
    assert (query.kind, query.level, query.period, query.anchor) == ("grid", 1, "month", TODAY)
    assert query.file_name() == "scores-grid-l1-month-2026-12-04.csv"
    assert query.chart_kind == pb.SUBJECT_KIND_CITY  # no subject chosen: the city's chart
    chosen = present.parse_query({"kind": "department", "subject": "DEP"}, TODAY)
    assert chosen.chart_kind == pb.SUBJECT_KIND_DEPARTMENT
    assert chosen.selector().anchor_time.ToDatetime().date() == TODAY


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"kind": "planet"}, "kind"),
        ({"period": "decade"}, "period"),
        ({"level": "4"}, "level"),
        ({"date": "04/12/2026"}, "date"),
        ({"subject": "a b"}, "subject"),
        ({"subject": "x" * 101}, "subject"),
    ],
)
def test_a_bad_query_names_its_field(args: dict[str, str], field: str) -> None:
    with pytest.raises(BadQuery) as bad:
        present.parse_query(args, TODAY)
    assert bad.value.field == field


def test_charts_span_the_last_six_periods_oldest_first() -> None:
    months = present.chart_anchors("month", date(2026, 2, 17))
    assert months == [date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1),
                      date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]  # fmt: skip
    assert [present.period_label("month", m) for m in months][-2:] == ["2026-01", "2026-02"]
    assert present.chart_anchors("week", TODAY, 2) == [date(2026, 11, 27), TODAY]
    assert present.period_label("week", TODAY) == "2026-W49"
    assert present.chart_anchors("year", TODAY, 2) == [date(2025, 1, 1), date(2026, 1, 1)]
    assert present.chart_anchors("day", TODAY, 2) == [date(2026, 12, 3), TODAY]


def test_chart_rates_are_percent() -> None:
    card = pb.Scorecard(response_rate=0.5, on_time_rate=0.25, resolved_count=4, overdue_count=1)
    data = present.chart_data("month", [TODAY], [card])
    assert data["rates"]["response_rate"] == [50.0]  # type: ignore[index]
    assert (data["resolved"], data["overdue"]) == ([4], [1])


def test_formulas_are_made_inert_and_quoting_holds() -> None:
    entry = pb.RankingEntry(rank=1, subject_id='=HYPERLINK("http://x")', stars=4, points=81.234)
    entry.scorecard.resolved_count = 3
    entry.scorecard.start_time.FromSeconds(1_764_547_200)  # 2025-12-01
    entry.scorecard.end_time.FromSeconds(1_767_225_600)  # 2026-01-01
    names = {entry.subject_id: '@SUM(A1), "quoted"\nline'}
    document = present.csv_document(present.csv_rows([entry], names))
    assert document.startswith("\ufeffrank,subject_id,")
    assert "\r\n" in document
    header, row = list(csv.reader(io.StringIO(document.removeprefix("\ufeff"))))
    assert tuple(header) == present.CSV_COLUMNS
    assert row[1] == '\'=HYPERLINK("http://x")'
    assert row[2] == '\'@SUM(A1), "quoted"\nline'  # one cell: comma, quotes and newline kept
    assert (row[0], row[3], row[4], row[8]) == ("1", "4", "81.23", "3")
    assert (row[-2], row[-1]) == ("2025-12-01", "2026-01-01")
    for text in ("+1", "-1+2", "\tx", "\rx"):
        assert present.safe_cell(text) == "'" + text
    assert present.safe_cell(-3) == -3  # a number is no formula
    assert present.safe_cell("MN0502") == "MN0502"
