"""Pure rules of the scores page: what a query may ask, the periods a chart spans, the rows of a
ranking, and a CSV that a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb

KINDS = {
    "grid": pb.SUBJECT_KIND_GRID,
    "worker": pb.SUBJECT_KIND_WORKER,
    "department": pb.SUBJECT_KIND_DEPARTMENT,
    "city": pb.SUBJECT_KIND_CITY,
}
PERIODS = {
    "day": pb.PERIOD_KIND_DAY,
    "week": pb.PERIOD_KIND_WEEK,
    "month": pb.PERIOD_KIND_MONTH,
    "year": pb.PERIOD_KIND_YEAR,
}
CHART_PERIODS = 6
RATES = ("response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate")
# Proactive work's shares (issue 16): each "—" when nothing was there to count.
COVERAGE = ("visit_coverage", "care_visit_on_time_rate")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class BadQuery(ValueError):
    """A query parameter the page cannot use; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Query:
    kind: str
    level: int  # grids only, 1..3
    period: str
    anchor: date
    subject: str  # whose chart; "" = the city

    def selector(self, anchor: date | None = None) -> pb.PeriodSelector:
        selector = pb.PeriodSelector(kind=PERIODS[self.period])
        selector.anchor_time.FromSeconds(_epoch_seconds(anchor or self.anchor))
        return selector

    @property
    def chart_kind(self) -> pb.SubjectKind:
        return KINDS[self.kind] if self.subject and self.kind != "city" else KINDS["city"]

    def file_name(self) -> str:
        level = f"-l{self.level}" if self.kind == "grid" else ""
        return f"scores-{self.kind}{level}-{self.period}-{self.anchor.isoformat()}.csv"


def parse_query(args: Mapping[str, str], today: date) -> Query:
    kind = args.get("kind") or "grid"
    if kind not in KINDS:
        raise BadQuery("kind", f"choose one of {', '.join(KINDS)}")
    period = args.get("period") or "month"
    if period not in PERIODS:
        raise BadQuery("period", f"choose one of {', '.join(PERIODS)}")
    raw_level = args.get("level") or "1"
    if raw_level not in ("1", "2", "3"):
        raise BadQuery("level", "choose 1, 2 or 3")
    raw_date = args.get("date") or today.isoformat()
    try:
        anchor = date.fromisoformat(raw_date)
    except ValueError:
        raise BadQuery("date", "a date as YYYY-MM-DD") from None
    subject = (args.get("subject") or "").strip()
    if len(subject) > 100 or any(c.isspace() or not c.isprintable() for c in subject):
        raise BadQuery("subject", "a grid code, department code or person id")
    return Query(kind, int(raw_level), period, anchor, "" if kind == "city" else subject)


def chart_anchors(period: str, anchor: date, count: int = CHART_PERIODS) -> list[date]:
    """One date inside each of the `count` periods ending with the anchor's, oldest first."""
    found = []
    for back in range(count - 1, -1, -1):
        if period == "day":
            found.append(anchor - timedelta(days=back))
        elif period == "week":
            found.append(anchor - timedelta(weeks=back))
        elif period == "month":
            months = anchor.year * 12 + anchor.month - 1 - back
            found.append(date(months // 12, months % 12 + 1, 1))
        else:
            found.append(date(anchor.year - back, 1, 1))
    return found


def coverage_cell(card: pb.Scorecard, name: str) -> str:
    """A coverage share in percent, or "—" when no household was registered (coverage) or no
    care visit fell due (on-time care visits): a zero there would read as a failure."""
    counted = card.households_count if name == "visit_coverage" else card.care_visits_due_count
    if not counted:
        return "—"
    return f"{round(getattr(card, name) * 100, 1)} %"


def period_label(period: str, anchor: date) -> str:
    if period == "day":
        return anchor.isoformat()
    if period == "week":
        year, week, _ = anchor.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{anchor.year}-{anchor.month:02d}"
    return str(anchor.year)


def chart_data(
    period: str, anchors: Sequence[date], cards: Sequence[pb.Scorecard]
) -> dict[str, object]:
    """The chart's series: rates in percent and counts, one value per period."""
    return {
        "labels": [period_label(period, anchor) for anchor in anchors],
        "rates": {name: [round(getattr(c, name) * 100, 1) for c in cards] for name in RATES},
        "resolved": [c.resolved_count for c in cards],
        "overdue": [c.overdue_count for c in cards],
    }


CSV_COLUMNS = (
    "rank",
    "subject_id",
    "subject_name",
    "stars",
    "points",
    "assessment_score",
    "submitted_count",
    "assigned_count",
    "resolved_count",
    "closed_count",
    "overdue_count",
    "response_rate",
    "on_time_rate",
    "resolution_rate",
    "satisfaction_rate",
    "reopen_rate",
    "whistle_report_rate",
    "visit_coverage",
    "care_visit_on_time_rate",
    "period_start",
    "period_end",
)


def csv_rows(entries: Iterable[pb.RankingEntry], names: Mapping[str, str]) -> list[list[object]]:
    rows: list[list[object]] = []
    for entry in entries:
        card = entry.scorecard
        rows.append(
            [
                entry.rank,
                entry.subject_id,
                names.get(entry.subject_id, ""),
                entry.stars,
                round(entry.points, 2),
                round(entry.assessment_score, 2),
                card.submitted_count,
                card.assigned_count,
                card.resolved_count,
                card.closed_count,
                card.overdue_count,
                round(card.response_rate, 4),
                round(card.on_time_rate, 4),
                round(card.resolution_rate, 4),
                round(card.satisfaction_rate, 4),
                round(card.reopen_rate, 4),
                round(card.whistle_report_rate, 4),
                round(card.visit_coverage, 4),
                round(card.care_visit_on_time_rate, 4),
                card.start_time.ToDatetime().date().isoformat(),
                card.end_time.ToDatetime().date().isoformat(),
            ]
        )
    return rows


def safe_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_document(rows: Iterable[Sequence[object]]) -> str:
    """UTF-8 text with a byte-order mark (spreadsheets then read Chinese names right), a header,
    RFC 4180 quoting, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return "\ufeff" + out.getvalue()


def _epoch_seconds(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86400 + 12 * 3600  # noon: inside the day in UTC
