"""Pure rules of the visits pages: reading the visit form (findings, time, point), where a
service's refusal of a field shows on the form, the care lights in order and what a due time
says, the days a diary spans, households grouped by their place. No Flask, no gRPC: the routes
call these with what the request and the services gave."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

LIGHT_ORDER = {"RED": 0, "YELLOW": 1, "GREEN": 2, "NONE": 3}
TITLE_MAX = 200  # "at most a line" (visits.proto)
NOTES_MAX = 4000  # visits.proto: at most 4,000 characters
DIARY_MAX_DAYS = 92
_FINDING_FIELD = re.compile(r"^findings-(\d{1,2})-(category|title|description|raise)$")
_SERVICE_FINDING = re.compile(r"^findings\[(\d+)\]\.?(\w*)")
_OUTSIDE_BY = re.compile(r"(\d+) m outside")
_PERSON_ID = re.compile(r"^[\w.@:-]{1,100}$")

T = TypeVar("T")


class BadField(ValueError):
    """A form field the page cannot use: `field` is the form's name, `key` the i18n message."""

    def __init__(self, field: str, key: str, **values: object) -> None:
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = key
        self.values = values


@dataclass(frozen=True)
class FindingInput:
    """One finding as the form gave it; `position` is its number on the form (from 1)."""

    position: int
    category: str
    title: str
    description: str
    raise_petition: bool


def parse_findings(form: Mapping[str, str]) -> list[FindingInput]:
    """The findings of a visit form (`findings-<n>-title` …), in form order; a finding left
    entirely empty (the blank one the form always offers) is no finding."""
    fields: dict[int, dict[str, str]] = {}
    for name, value in form.items():
        matched = _FINDING_FIELD.match(name)
        if matched:
            fields.setdefault(int(matched.group(1)), {})[matched.group(2)] = value.strip()
    found = []
    for position in sorted(fields):
        given = fields[position]
        finding = FindingInput(
            position=position,
            category=given.get("category", ""),
            title=given.get("title", ""),
            description=given.get("description", ""),
            raise_petition=given.get("raise", "") in ("on", "1", "true"),
        )
        if finding.category or finding.title or finding.description:
            found.append(finding)
    return found


def finding_problems(findings: Iterable[FindingInput], known: Iterable[str]) -> list[BadField]:
    """What the console can tell before calling: each finding needs a title (a line), and a
    category it names must be one of the taxonomy's (a code outside it would route nowhere)."""
    codes = frozenset(known)
    problems = []
    for finding in findings:
        prefix = f"findings-{finding.position}"
        if not finding.title:
            problems.append(BadField(f"{prefix}-title", "visits.error.finding_title"))
        elif len(finding.title) > TITLE_MAX or "\n" in finding.title:
            problems.append(BadField(f"{prefix}-title", "visits.error.title_long", max=TITLE_MAX))
        if finding.category and finding.category not in codes:
            problems.append(
                BadField(f"{prefix}-category", "visits.error.category", code=finding.category)
            )
    return problems


def parse_point(lat_text: str, lon_text: str) -> tuple[float, float]:
    """The visit's GPS point, required (from the browser's location or a pick on the map)."""
    if not lat_text.strip() or not lon_text.strip():
        raise BadField("location", "visits.error.location_required")
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise BadField("location", "visits.error.location_format") from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise BadField("location", "visits.error.location_format")
    return lat, lon


def parse_visited_at(utc_text: str, local_text: str, offset_minutes: str) -> datetime | None:
    """When the visit took place: the page's script sends the chosen time in UTC (ISO 8601);
    without it, the datetime-local field with the browser's offset (minutes east of UTC, 0 when
    unknown). None: not given, the service takes "now"."""
    text = utc_text.strip()
    if text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadField("visited_at", "visits.error.visited_at_format") from None
        if moment.tzinfo is None:
            raise BadField("visited_at", "visits.error.visited_at_format")
        return moment.astimezone(UTC)
    if not local_text.strip():
        return None
    try:
        local = datetime.fromisoformat(local_text.strip())
        offset = int(offset_minutes or "0")
    except ValueError:
        raise BadField("visited_at", "visits.error.visited_at_format") from None
    if local.tzinfo is not None or abs(offset) > 14 * 60:
        raise BadField("visited_at", "visits.error.visited_at_format")
    return (local - timedelta(minutes=offset)).replace(tzinfo=UTC)


def check_notes(notes: str) -> None:
    if len(notes) > NOTES_MAX:
        raise BadField("notes", "visits.error.notes_long", max=NOTES_MAX)


# ---- the service's refusals at the form ---------------------------------------------------------

# Service field (its first part) -> the form field it shows at and the page's own words for it.
_SERVICE_FIELDS = {
    "location": ("location", "visits.error.location_refused"),
    "visited_at": ("visited_at", "visits.error.visited_at_refused"),
    "photos": ("photos", "visits.error.photos_refused"),
    "notes": ("notes", "visits.error.notes_refused"),
    "household_id": ("household_id", "visits.error.household_refused"),
}
_FINDING_KEYS = {
    "category": "visits.error.category_refused",
    "title": "visits.error.title_refused",
    "description": "visits.error.description_refused",
}


def form_field_of(service_field: str, findings: list[FindingInput]) -> tuple[str, str | None]:
    """Where a field the service refused shows on the form, and the page's message key for it
    (None: show the service's own words). `findings[i].title` is the i-th finding sent (from 0),
    shown at its number on the form."""
    matched = _SERVICE_FINDING.match(service_field)
    if matched:
        index, part = int(matched.group(1)), matched.group(2) or "title"
        position = findings[index].position if index < len(findings) else 1
        return f"findings-{position}-{part}", _FINDING_KEYS.get(part)
    if service_field.startswith("findings."):
        # Dispatch names the part, not which finding: the message goes above the button.
        return "form", _FINDING_KEYS.get(service_field.removeprefix("findings."))
    base = re.split(r"[.\[]", service_field, maxsplit=1)[0]
    if base in _SERVICE_FIELDS:
        return _SERVICE_FIELDS[base]
    return "form", None


def outside_by(description: str) -> int | None:
    """The metres dispatch says a refused point lies outside the household's grid, if it says."""
    found = _OUTSIDE_BY.search(description)
    return int(found.group(1)) if found else None


# ---- care lights --------------------------------------------------------------------------------


def light_name(value: int) -> str:
    """A proto Light number as RED / YELLOW / GREEN (NONE when unset)."""
    return {1: "GREEN", 2: "YELLOW", 3: "RED"}.get(value, "NONE")


@dataclass(frozen=True)
class CareRow:
    member_id: str
    household_id: str
    grid_code: str
    care_groups: tuple[str, ...]
    interval_days: int
    last_visited_at: datetime | None
    due_at: datetime
    light: str


def ordered(rows: Iterable[CareRow]) -> list[CareRow]:
    """Red first, then yellow, then green; within a light, the soonest due first."""
    return sorted(rows, key=lambda r: (LIGHT_ORDER.get(r.light, 3), r.due_at, r.member_id))


def light_counts(rows: Iterable[CareRow]) -> dict[str, int]:
    found = {light: 0 for light in ("RED", "YELLOW", "GREEN")}
    for row in rows:
        if row.light in found:
            found[row.light] += 1
    return found


def due_words(due_at: datetime, now: datetime) -> tuple[str, int]:
    """(i18n key, count) saying when a care visit is due: overdue by / due in days or hours."""
    left = (due_at - now).total_seconds()
    hours = max(1, round(abs(left) / 3600))
    unit, count = ("hours", hours) if hours < 36 else ("days", round(hours / 24))
    state = "overdue" if left < 0 else "due_in"
    return f"visits.care.{state}_{unit}{'_one' if count == 1 else ''}", count


# ---- the diary ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiaryQuery:
    worker_id: str  # "" = the caller
    # None: dispatch's own default (the last 30 days up to today in the platform's time zone,
    # which may be a day ahead of or behind UTC).
    from_day: date | None
    to_day: date | None


def parse_diary_query(args: Mapping[str, str]) -> DiaryQuery:
    worker = (args.get("worker") or "").strip()
    if worker and not _PERSON_ID.match(worker):
        raise BadField("worker", "visits.error.worker")
    try:
        to_day = date.fromisoformat(args["to"]) if args.get("to") else None
        from_day = date.fromisoformat(args["from"]) if args.get("from") else None
    except ValueError:
        raise BadField("from", "visits.error.day") from None
    if from_day and to_day and (from_day > to_day or (to_day - from_day).days >= DIARY_MAX_DAYS):
        raise BadField("from", "visits.error.days", max=DIARY_MAX_DAYS)
    return DiaryQuery(worker, from_day, to_day)


# ---- households ---------------------------------------------------------------------------------


def by_place(households: Iterable[T], place_of: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """Households grouped by their place (building or unit), places in the order met (the
    service lists by place then unit)."""
    groups: dict[str, list[T]] = {}
    for household in households:
        groups.setdefault(place_of(household), []).append(household)
    return list(groups.items())


def group_names(codes: Iterable[str], names: Mapping[str, str]) -> list[str]:
    """Care group codes as the page's names (a code the registry no longer lists as itself)."""
    return [names.get(code, code) for code in codes]
