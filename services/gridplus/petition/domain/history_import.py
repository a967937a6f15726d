"""History import: rows of another system's export (a city's 311 requests) read into closed
petitions. Pure: the caller hands in the text, the taxonomy answer and the located grid.

Sources:
- `nyc311-csv`: the NYC Open Data "311 Service Requests" CSV, in either column layout (old Title
  Case "Unique Key, Created Date, ..." or snake_case "unique_key, created_date, ..."); its
  times are local (`zone`, America/New_York), in "12/25/2013 11:59:08 PM" or ISO form.
- `open311-json`: an Open311 GeoReport v2 `requests.json` dump (a JSON list of requests with
  service_request_id, status, service_code, service_name, requested_datetime,
  updated_datetime, lat, long, address, description).

What an imported petition is (decided here, documented in the petition README):
- Only requests the source closed are history: a row in another status is reported, not
  imported (an open request in a 2013 export is no work Grid+ can start now).
- It is CLOSED straight from SUBMITTED, at the source's created and closed times: the export
  says when it was received and when it was closed, nothing about who verified or resolved it,
  so no ASSIGNED, VERIFIED or RESOLVED step is invented (scorecards get no made-up response
  or handling times, and "solved" is not claimed beyond "closed").
- Its events carry the `imported` marker (HistoryOrigin): evaluation counts them with the grid
  located at import; dispatch starts no clock and notification tells nobody.
- Its reporter is the import itself (a service actor named after the source system): 311
  exports hold no reporter identity and none is invented.
- Its id is derived from the source system and request id (uuid5), so importing a request
  twice finds it already there: idempotent, and a re-run after a crash continues.
"""

from __future__ import annotations

import csv
import json
import math
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum

from gridplus.kit.roles import Role
from gridplus.petition.domain.events import HistoryOrigin, PetitionStatusChanged, PetitionSubmitted
from gridplus.petition.domain.history import HistoryEntry
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.values import Actor, GeoPoint, GridRef, Source

# Fixed forever: every petition id of an imported request is derived from it.
_ID_NAMESPACE = uuid.UUID("6f1d7a52-3c0e-4f0a-9a55-2d7c1b0e8a11")
_TITLE_MAX = 200
_CSV_TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S")


class Format(StrEnum):
    NYC311_CSV = "nyc311-csv"
    OPEN311_JSON = "open311-json"


@dataclass(frozen=True)
class HistoryRecord:
    """One closed request of the source, checked: what becomes a petition."""

    line: int  # where it starts in the file (1 = the first line), for reports
    request_id: str
    created_at: datetime
    closed_at: datetime
    category: str  # the taxonomy code it maps to (nyc.<slug>, or an Open311 service_code)
    title: str
    description: str
    location: GeoPoint
    address: str


@dataclass(frozen=True)
class RowProblem:
    """A row that is not imported, and why."""

    line: int
    request_id: str  # "" when the row has none
    reason: str
    # True: a good row that is not history (the request was not closed); reported and counted
    # apart, and not an error for --strict. False: the row is bad.
    not_closed: bool = False


def slug(text: str) -> str:
    """The seed's rule for NYC category codes (tools/gen_registry_seed.py): lower snake case."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def nyc_category(complaint_type: str) -> str:
    return f"nyc.{slug(complaint_type)}"


def petition_id_for(system: str, request_id: str) -> str:
    """The same request of the same system is the same petition, whichever run imports it."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{system}:{request_id}"))


def _column(row: Mapping[str, str | None], name: str) -> str:
    """A column in either NYC layout: `created_date` is also `Created Date`."""
    value = row.get(name)
    if value is None:
        value = row.get(name.replace("_", " ").title())
    return (value or "").strip()


def _local_time(text: str, zone: tzinfo) -> datetime | None:
    for pattern in _CSV_TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return (parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed).astimezone(UTC)
    return None


def _point(lat_text: str, lon_text: str) -> GeoPoint | str:
    if not lat_text or not lon_text:
        return "no latitude/longitude: the place is unknown"
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        return f"latitude/longitude {lat_text!r}, {lon_text!r} are not numbers"
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return f"latitude/longitude {lat}, {lon} are outside WGS84's range"
    return GeoPoint(lat, lon)


def _record(
    line: int,
    request_id: str,
    *,
    status: str,
    created: datetime | None,
    closed: datetime | None,
    category: str,
    title: str,
    description: str,
    point: GeoPoint | str,
    address: str,
) -> HistoryRecord | RowProblem:
    """The checks both formats share, in the order a reader fixes them."""
    reason = None
    if not request_id:
        reason = "no request id (unique key)"
    elif status.lower() != "closed":
        reason = f"status {status or 'empty'!r}: only closed requests are imported as history"
    elif created is None:
        reason = "created date missing or not a date"
    elif closed is None:
        reason = "closed date missing or not a date"
    elif closed < created:
        reason = f"closed {closed.isoformat()} before created {created.isoformat()}"
    elif not category or not title:
        reason = "no complaint type / service code: the category is unknown"
    elif isinstance(point, str):
        reason = point
    if reason is not None or created is None or closed is None or isinstance(point, str):
        return RowProblem(
            line, request_id, reason or "", not_closed=(reason or "").startswith("status ")
        )
    return HistoryRecord(
        line, request_id, created, closed, category, title[:_TITLE_MAX], description, point, address
    )


def read_nyc311_csv(lines: Iterable[str], zone: tzinfo) -> Iterator[HistoryRecord | RowProblem]:
    """Each data row of a NYC 311 CSV export, in file order (quoted fields may hold newlines:
    a row's line is where it starts)."""
    reader = csv.DictReader(iter(lines))
    start = 2  # line 1 is the header
    for row in reader:
        line, start = start, reader.line_num + 1
        if None in row:  # more fields than the header names
            yield RowProblem(line, _column(row, "unique_key"), "more fields than the header")
            continue
        created_text, closed_text = _column(row, "created_date"), _column(row, "closed_date")
        complaint = _column(row, "complaint_type")
        yield _record(
            line,
            _column(row, "unique_key"),
            status=_column(row, "status"),
            created=_local_time(created_text, zone) if created_text else None,
            closed=_local_time(closed_text, zone) if closed_text else None,
            category=nyc_category(complaint) if complaint else "",
            title=complaint,
            description=_column(row, "descriptor"),
            point=_point(_column(row, "latitude"), _column(row, "longitude")),
            address=_column(row, "incident_address"),
        )


def read_open311_json(
    text: str, zone: tzinfo, known: Mapping[str, str] | None = None
) -> Iterator[HistoryRecord | RowProblem]:
    """Each request of an Open311 GeoReport v2 requests.json dump; `line` is the request's
    position in the list (1 = first). The category is the service_code when the taxonomy
    knows it (`known`), else the NYC rule applied to service_name."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        yield RowProblem(exc.lineno, "", f"not JSON: {exc.msg}")
        return
    if not isinstance(items, list):
        yield RowProblem(1, "", "an Open311 requests.json dump is a JSON list of requests")
        return
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield RowProblem(index, "", "a request must be a JSON object")
            continue
        field = {key: "" if value is None else str(value).strip() for key, value in item.items()}
        code, name = field.get("service_code", ""), field.get("service_name", "")
        category = code if code and known is not None and code in known else ""
        category = category or (nyc_category(name) if name else code)
        yield _record(
            index,
            field.get("service_request_id", ""),
            status=field.get("status", ""),
            created=_iso_time(field.get("requested_datetime", ""), zone),
            closed=_iso_time(field.get("updated_datetime", ""), zone),
            category=category,
            title=name or code,
            description=field.get("description", ""),
            point=_point(field.get("lat", ""), field.get("long", "")),
            address=field.get("address", ""),
        )


def _iso_time(text: str, zone: tzinfo) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return None if parsed is None else parsed.astimezone(UTC)


def importer(system: str) -> Actor:
    """Who reports an imported petition: the import of that system, never a person."""
    return Actor(f"history-import:{system}", Role.SERVICE)


def closed_petition(
    record: HistoryRecord, *, system: str, source: Format, grid: GridRef
) -> Petition:
    """The CLOSED petition for a closed source request, with its SUBMITTED and CLOSED history
    at the source's own times, and its two events marked as imported."""
    actor = importer(system)
    petition_id = petition_id_for(system, record.request_id)
    origin = HistoryOrigin(source.value, record.request_id, grid)
    note = f"imported from {source.value}: {system} request {record.request_id}"
    petition = Petition(
        id=petition_id,
        status=Status.CLOSED,
        title=record.title,
        description=record.description,
        category=record.category,
        location=record.location,
        reporter=actor,
        source=Source.HOTLINE,  # 311 is the city's hotline
        created_at=record.created_at,
        updated_at=record.closed_at,
        grid=grid,
        address=record.address or None,
        attributes={"source": source.value, "source_request_id": record.request_id},
    )
    petition.new_history += [
        HistoryEntry(None, Status.SUBMITTED, actor, note, record.created_at),
        HistoryEntry(Status.SUBMITTED, Status.CLOSED, actor, note, record.closed_at),
    ]
    submitted = PetitionSubmitted(
        petition_id=petition_id,
        title=record.title,
        description=record.description,
        category=record.category,
        location=record.location,
        reporter_id=actor.id,
        source=Source.HOTLINE,
        at=record.created_at,
        imported=origin,
    )
    closed = PetitionStatusChanged(
        petition_id,
        Status.SUBMITTED,
        Status.CLOSED,
        actor,
        note,
        record.closed_at,
        record.category,
        imported=True,
    )
    petition.events += [submitted, closed]
    return petition
