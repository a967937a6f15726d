"""Reading a 311 export into closed petitions (domain/history_import.py): both NYC Open Data
column layouts of ../shared/data, the lines bad rows are reported at (quoted fields hold
newlines), local times, an Open311 requests.json dump, and the petition and events a closed
request becomes (marked imported, no steps invented)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.roles import Role
from gridplus.petition.api.convert import event_payload
from gridplus.petition.domain.history_import import (
    Format,
    HistoryRecord,
    RowProblem,
    closed_petition,
    nyc_category,
    petition_id_for,
    read_nyc311_csv,
    read_open311_json,
)
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.values import GeoPoint, GridRef

DATA = Path("/work/shared/data")
OLD = DATA / "nyc311_2013-12-25_nikeiubel.csv"
NEW = DATA / "nyc311_2025-10-13_mohrum12.csv"
NY = ZoneInfo("America/New_York")
GRID = GridRef("BK1801", 3, ("3", "BK18", "BK1801"), 1)

HEADER = "Unique Key,Created Date,Closed Date,Complaint Type,Descriptor,Status,Latitude,Longitude\n"


def read(text: str) -> list[HistoryRecord | RowProblem]:
    return list(read_nyc311_csv(io.StringIO(text), NY))


def test_both_nyc_layouts_are_read_and_every_row_is_accounted_for() -> None:
    if not OLD.exists():
        pytest.skip("../shared/data is not on this machine")
    for path, rows, closed, no_place in ((OLD, 2386, 2220, 82), (NEW, 1000, 512, 3)):
        with path.open(newline="", encoding="utf-8") as handle:
            found = list(read_nyc311_csv(handle, NY))
        records = [r for r in found if isinstance(r, HistoryRecord)]
        problems = [r for r in found if isinstance(r, RowProblem)]
        assert len(found) == rows
        assert len(records) == closed
        assert sum(1 for p in problems if p.reason.startswith("no latitude")) == no_place
        assert all(p.not_closed == p.reason.startswith("status ") for p in problems)
        assert all(r.category.startswith("nyc.") and r.closed_at >= r.created_at for r in records)
    first = next(
        r for r in read_nyc311_csv(OLD.open(newline=""), NY) if isinstance(r, HistoryRecord)
    )
    # 12/25/2013 11:59:08 PM in New York is 04:59:08 UTC the next day.
    assert first.created_at == datetime(2013, 12, 26, 4, 59, 8, tzinfo=UTC)
    assert (first.request_id, first.category, first.address) == (
        "26984072",
        "nyc.blocked_driveway",
        "952 EAST 58 STREET",
    )


def test_a_bad_row_is_reported_at_the_line_it_starts_on_past_quoted_newlines() -> None:
    text = (
        HEADER
        + '1,12/25/2013 11:00:00 PM,12/26/2013 01:00:00 AM,Noise,"two\nlines",Closed,40.7,-73.9\n'
        + "2,12/25/2013 11:00:00 PM,12/25/2013 10:00:00 PM,Noise,x,Closed,40.7,-73.9\n"
        + "3,12/25/2013 11:00:00 PM,12/26/2013 01:00:00 AM,Noise,x,Closed,abc,-73.9\n"
        + "4,12/25/2013 11:00:00 PM,,Noise,x,Open,40.7,-73.9\n"
        + "5,yesterday,12/26/2013 01:00:00 AM,Noise,x,Closed,40.7,-73.9\n"
        + "6,12/25/2013 11:00:00 PM,12/26/2013 01:00:00 AM,,x,Closed,40.7,-73.9\n"
        + "7,12/25/2013 11:00:00 PM,12/26/2013 01:00:00 AM,Noise,x,Closed,91,-73.9\n"
    )
    found = read(text)
    assert isinstance(found[0], HistoryRecord) and found[0].description == "two\nlines"
    problems = {p.line: (p.request_id, p.reason, p.not_closed) for p in found[1:]}  # type: ignore[union-attr]
    assert problems == {
        4: (
            "2",
            "closed 2013-12-26T03:00:00+00:00 before created 2013-12-26T04:00:00+00:00",
            False,
        ),
        5: ("3", "latitude/longitude 'abc', '-73.9' are not numbers", False),
        6: ("4", "status 'Open': only closed requests are imported as history", True),
        7: ("5", "created date missing or not a date", False),
        8: ("6", "no complaint type / service code: the category is unknown", False),
        9: ("7", "latitude/longitude 91.0, -73.9 are outside WGS84's range", False),
    }


def test_the_snake_case_layout_and_iso_times() -> None:
    text = (
        "unique_key,created_date,closed_date,complaint_type,descriptor,status,latitude,longitude,"
        "incident_address\n"
        "9,2025-10-13T01:35:53.000,2025-10-13T01:51:16.000,Noise - Residential,Banging,Closed,"
        "40.69,-73.78,112-25 167 STREET\n"
    )
    (record,) = read(text)
    assert isinstance(record, HistoryRecord)
    assert record.created_at == datetime(2025, 10, 13, 5, 35, 53, tzinfo=UTC)  # EDT is UTC-4
    assert (record.category, record.address) == ("nyc.noise_residential", "112-25 167 STREET")


def test_an_open311_dump_uses_known_service_codes_else_the_nyc_rule() -> None:
    dump = [
        {
            "service_request_id": "A1",
            "status": "closed",
            "service_code": "environmental_protection.01",
            "service_name": "Garbage collection",
            "requested_datetime": "2024-05-01T10:00:00-04:00",
            "updated_datetime": "2024-05-02T09:00:00-04:00",
            "lat": 40.7,
            "long": -73.9,
            "address": "1 Main St",
        },
        {
            "service_request_id": "A2",
            "status": "closed",
            "service_code": "311-xyz",
            "service_name": "Noise - Residential",
            "requested_datetime": "2024-05-01T10:00:00Z",
            "updated_datetime": "2024-05-01T11:00:00Z",
            "lat": "40.7",
            "long": "-73.9",
        },
        {"service_request_id": "A3", "status": "open", "service_name": "Noise"},
        "not an object",
    ]
    known = {"environmental_protection.01": "Garbage collection"}
    found = list(read_open311_json(json.dumps(dump), NY, known))
    first, second, third, fourth = found
    assert isinstance(first, HistoryRecord) and isinstance(second, HistoryRecord)
    assert first.category == "environmental_protection.01"
    assert first.created_at == datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    assert second.category == "nyc.noise_residential"
    assert isinstance(third, RowProblem) and third.not_closed and third.line == 3
    assert isinstance(fourth, RowProblem) and fourth.reason == "a request must be a JSON object"
    (problem,) = read_open311_json("{not json", NY)
    assert isinstance(problem, RowProblem) and problem.reason.startswith("not JSON")


def test_a_closed_request_becomes_a_closed_petition_with_two_imported_events() -> None:
    created = datetime(2013, 12, 26, 4, 59, 8, tzinfo=UTC)
    closed = datetime(2013, 12, 26, 6, 15, tzinfo=UTC)
    record = HistoryRecord(
        2, "26984072", created, closed, "nyc.blocked_driveway", "Blocked Driveway", "No Access",
        GeoPoint(40.63, -73.92), "952 EAST 58 STREET",
    )  # fmt: skip
    petition = closed_petition(record, system="nyc311", source=Format.NYC311_CSV, grid=GRID)
    assert petition.id == petition_id_for("nyc311", "26984072")
    assert petition.id != petition_id_for("other-city", "26984072")
    assert (petition.status, petition.created_at, petition.updated_at) == (
        Status.CLOSED,
        created,
        closed,
    )
    assert (
        petition.reporter.role is Role.SERVICE and petition.reporter.id == "history-import:nyc311"
    )
    assert petition.deadline is None and petition.assignee_id is None
    assert [(h.from_status, h.to_status, h.at) for h in petition.new_history] == [
        (None, Status.SUBMITTED, created),
        (Status.SUBMITTED, Status.CLOSED, closed),
    ]
    submitted, changed = (event_payload(e) for e in petition.events)
    assert isinstance(submitted, events_pb2.PetitionSubmitted)
    assert submitted.HasField("imported")
    assert (submitted.imported.source, submitted.imported.source_request_id) == (
        "nyc311-csv",
        "26984072",
    )
    assert list(submitted.imported.grid.path) == ["3", "BK18", "BK1801"]
    assert submitted.submitted_at.ToDatetime(tzinfo=UTC) == created
    assert isinstance(changed, events_pb2.PetitionStatusChanged)
    assert changed.imported and changed.changed_at.ToDatetime(tzinfo=UTC) == closed


def test_nyc_categories_follow_the_seed_rule() -> None:
    assert nyc_category("Noise - Street/Sidewalk") == "nyc.noise_street_sidewalk"
    assert nyc_category("HEAT/HOT WATER") == "nyc.heat_hot_water"
