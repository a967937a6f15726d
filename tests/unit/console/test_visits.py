"""The visits pages' own rules: reading a visit form (findings, time, point), where a service's
refusal shows on the form, care lights in order and what a due time says, a diary's days, the
scores page's coverage cells and a chief's digest figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.console.scores.digest import Digest
from gridplus.console.scores.present import coverage_cell
from gridplus.console.visits import present
from gridplus.console.visits.present import BadField, CareRow, FindingInput

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def test_findings_are_read_in_form_order_and_the_blank_one_is_dropped() -> None:
    form = {
        "findings-2-title": "Broken stair light",
        "findings-2-category": "nyc.street_light_condition",
        "findings-2-raise": "on",
        "findings-1-title": " Leaking pipe ",
        "findings-1-description": "Under the sink",
        "findings-3-title": "",
        "findings-3-category": "",
        "notes": "not a finding",
    }
    found = present.parse_findings(form)
    assert found == [
        FindingInput(1, "", "Leaking pipe", "Under the sink", False),
        FindingInput(2, "nyc.street_light_condition", "Broken stair light", "", True),
    ]


def test_a_finding_needs_a_title_and_a_known_category() -> None:
    findings = [
        FindingInput(1, "nyc.nope", "", "something", True),
        FindingInput(4, "", "x" * 201, "", False),
        FindingInput(5, "nyc.noise", "Loud", "", True),
    ]
    problems = present.finding_problems(findings, ["nyc.noise"])
    assert [(p.field, p.key) for p in problems] == [
        ("findings-1-title", "visits.error.finding_title"),
        ("findings-1-category", "visits.error.category"),
        ("findings-4-title", "visits.error.title_long"),
    ]
    assert problems[1].values == {"code": "nyc.nope"}


@pytest.mark.parametrize(
    ("lat", "lon", "key"),
    [
        ("", "-73.98", "visits.error.location_required"),
        ("forty", "-73.98", "visits.error.location_format"),
        ("91", "-73.98", "visits.error.location_format"),
        ("40.7", "-181", "visits.error.location_format"),
    ],
)
def test_a_point_is_required_and_on_the_globe(lat: str, lon: str, key: str) -> None:
    with pytest.raises(BadField) as raised:
        present.parse_point(lat, lon)
    assert (raised.value.field, raised.value.key) == ("location", key)


def test_a_point_is_read() -> None:
    assert present.parse_point(" 40.758 ", "-73.9855") == (40.758, -73.9855)


def test_the_time_is_the_scripts_utc_then_the_local_field_then_none() -> None:
    assert present.parse_visited_at("2026-12-04T09:30:00.000Z", "ignored", "0") == datetime(
        2026, 12, 4, 9, 30, tzinfo=UTC
    )
    # Without the script: the local field and the browser's offset (New York, UTC-5).
    assert present.parse_visited_at("", "2026-12-04T04:30", "-300") == datetime(
        2026, 12, 4, 9, 30, tzinfo=UTC
    )
    assert present.parse_visited_at("", "", "") is None  # the service takes "now"
    for utc, local, offset in (("yesterday", "", ""), ("2026-12-04T09:30", "", ""),
                               ("", "soon", "0"), ("", "2026-12-04T04:30", "9999")):  # fmt: skip
        with pytest.raises(BadField) as raised:
            present.parse_visited_at(utc, local, offset)
        assert raised.value.field == "visited_at"


def test_notes_have_a_limit() -> None:
    present.check_notes("x" * present.NOTES_MAX)
    with pytest.raises(BadField):
        present.check_notes("x" * (present.NOTES_MAX + 1))


def test_a_service_refusal_shows_at_its_field() -> None:
    findings = [FindingInput(2, "", "A", "", False), FindingInput(5, "", "B", "", True)]
    assert present.form_field_of("location", findings) == (
        "location",
        "visits.error.location_refused",
    )
    assert present.form_field_of("visited_at", findings)[0] == "visited_at"
    assert present.form_field_of("photos[3]", findings)[0] == "photos"
    # The second finding sent is the fifth on the form.
    assert present.form_field_of("findings[1].title", findings) == (
        "findings-5-title",
        "visits.error.title_refused",
    )
    # Dispatch names the part, not the finding: shown above the button.
    assert present.form_field_of("findings.category", findings) == (
        "form",
        "visits.error.category_refused",
    )
    assert present.form_field_of("request_id", findings) == ("form", None)


def test_the_metres_outside_the_grid_are_read_from_dispatchs_words() -> None:
    said = "lies 5120 m outside grid MN0502, the household's grid (tolerance 100 m)"
    assert present.outside_by(said) == 5120
    assert present.outside_by("must be a point") is None


def _row(member: str, light: str, due_in_hours: float) -> CareRow:
    return CareRow(member, "h", "MN0502", ("ELDERLY_ALONE",), 7, None,
                   NOW + timedelta(hours=due_in_hours), light)  # fmt: skip


def test_care_rows_red_first_then_soonest_due() -> None:
    rows = [_row("g", "GREEN", 100), _row("r2", "RED", -1), _row("y", "YELLOW", 20),
            _row("r1", "RED", -50)]  # fmt: skip
    assert [r.member_id for r in present.ordered(rows)] == ["r1", "r2", "y", "g"]
    assert present.light_counts(rows) == {"RED": 2, "YELLOW": 1, "GREEN": 1}


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        (-50, ("visits.care.overdue_days", 2)),
        (-1, ("visits.care.overdue_hours_one", 1)),
        (0.2, ("visits.care.due_in_hours_one", 1)),
        (30, ("visits.care.due_in_hours", 30)),
        (47.9, ("visits.care.due_in_days", 2)),
        (24 * 6 + 1, ("visits.care.due_in_days", 6)),
    ],
)
def test_what_a_due_time_says(hours: float, words: tuple[str, int]) -> None:
    assert present.due_words(NOW + timedelta(hours=hours), NOW) == words


def test_a_diary_leaves_its_days_to_dispatch_unless_chosen() -> None:
    query = present.parse_diary_query({})
    assert (query.worker_id, query.from_day, query.to_day) == ("", None, None)
    chosen = present.parse_diary_query({"worker": "w-MN0502-2", "from": "2026-12-01"})
    assert (chosen.worker_id, chosen.from_day, chosen.to_day) == (
        "w-MN0502-2",
        date(2026, 12, 1),
        None,
    )
    for args in ({"worker": "a b"}, {"from": "2026-13-01"},
                 {"from": "2026-12-05", "to": "2026-12-04"},
                 {"from": "2026-01-01", "to": "2026-12-04"}):  # fmt: skip
        with pytest.raises(BadField):
            present.parse_diary_query(args)


def test_households_are_grouped_by_place_in_the_order_listed() -> None:
    rows = [("B1", "101"), ("B1", "102"), ("B2", "201"), ("B1", "103")]
    grouped = present.by_place(rows, lambda row: row[0])
    assert grouped == [("B1", [("B1", "101"), ("B1", "102"), ("B1", "103")]),
                       ("B2", [("B2", "201")])]  # fmt: skip


def test_coverage_cells_say_nothing_to_count_instead_of_zero() -> None:
    card = pb.Scorecard(visit_coverage=0.625, households_count=8, care_visit_on_time_rate=0.0)
    assert coverage_cell(card, "visit_coverage") == "62.5 %"
    assert coverage_cell(card, "care_visit_on_time_rate") == "—"  # none fell due
    card.care_visits_due_count = 3
    assert coverage_cell(card, "care_visit_on_time_rate") == "0.0 %"


def test_a_digest_without_care_visits_due_says_so() -> None:
    digest = events_pb2.GridDigestReady(visit_coverage=0.5, care_visits_on_time=-1)
    assert (Digest("MN0502", digest).coverage_text, Digest("MN0502", digest).on_time_text) == (
        "50.0 %",
        "—",
    )
    digest.care_visits_on_time = 0.75
    assert Digest("MN0502", digest).on_time_text == "75.0 %"
