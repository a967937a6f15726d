"""Open311 request parameters: checked one by one, each problem named in the spec's error
list (Open311Error carries the HTTP status and the descriptions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from werkzeug.datastructures import MultiDict

from gridplus.kit.clock import as_utc
from gridplus.petition.domain.lifecycle import Status

MAX_RANGE = timedelta(days=90)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000  # the spec's "first 1000 requests"
# A RESOLVED petition stays open until its follow-up confirms it (DESIGN: no fake closures).
CLOSED = (Status.CLOSED, Status.REJECTED, Status.DUPLICATE)
OPEN = tuple(s for s in Status if s not in CLOSED)
MAKE_PUBLIC = "make_public"  # the reporter's choice to publish; not kept among the attributes
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


class Open311Error(Exception):
    def __init__(self, status: int, descriptions: list[str]) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


@dataclass(frozen=True)
class Attribute:
    """A question every service asks (the taxonomy defines none of its own yet)."""

    code: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    description: str
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for lists


ATTRIBUTES = (
    Attribute(
        "urgency",
        "singlevaluelist",
        "How urgent is it?",
        values=(("normal", "Normal"), ("urgent", "Urgent: a danger to people")),
    ),
    Attribute("location_detail", "string", "Where exactly (floor, entrance, landmark)?"),
    Attribute(
        MAKE_PUBLIC,
        "singlevaluelist",
        "May the city publish your description and photo link with this request? Your name and"
        " contact are never published; phone numbers, emails and ID numbers are removed from the"
        " text and the location is shown only approximately.",
        values=(("false", "No, keep my description private"), ("true", "Yes, publish it")),
    ),
)


def title_from(description: str, code: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return (first[:80] or code or "Open311 request").strip()


def number(raw: str | None) -> object:
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw


def parse_attributes(form: MultiDict[str, str], problems: list[str]) -> tuple[tuple[str, str], ...]:
    known = {a.code: a for a in ATTRIBUTES}
    given: dict[str, str] = {}
    for key in form:
        match = _ATTRIBUTE.match(key)
        if not match:
            continue
        code = match.group(1)
        attribute = known.get(code)
        if attribute is None:
            problems.append(f"attribute[{code}]: is not an attribute of this service")
            continue
        values = form.getlist(key)
        keys = {k for k, _ in attribute.values}
        if attribute.values and any(v not in keys for v in values):
            problems.append(f"attribute[{code}]: must be one of {', '.join(sorted(keys))}")
            continue
        value = ",".join(v.strip() for v in values)
        if len(value) > 500:
            problems.append(f"attribute[{code}]: must be at most 500 characters")
            continue
        given[code] = value
    for attribute in ATTRIBUTES:
        if attribute.required and attribute.code not in given:
            problems.append(f"attribute[{attribute.code}]: is required")
    return tuple(sorted(given.items()))


def statuses(raw: str | None) -> tuple[Status, ...]:
    wanted = split_list(raw)
    unknown = [s for s in wanted if s not in ("open", "closed")]
    if unknown:
        raise Open311Error(400, [f"status: must be open or closed (got {', '.join(unknown)})"])
    if set(wanted) == {"open"}:
        return OPEN
    if set(wanted) == {"closed"}:
        return CLOSED
    return ()


def date_range(
    start_raw: str | None, end_raw: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """The spec: at most 90 days; without dates, the 90 days up to now."""
    start = w3c_parse("start_date", start_raw)
    end = w3c_parse("end_date", end_raw)
    if start is None and end is None:
        end = now + timedelta(seconds=1)
        start = end - MAX_RANGE
    elif start is None:
        assert end is not None
        start = end - MAX_RANGE
    elif end is None:
        end = min(start + MAX_RANGE, now + timedelta(seconds=1))
    if end <= start:
        raise Open311Error(400, ["end_date: must be after start_date"])
    if end - start > MAX_RANGE:
        raise Open311Error(400, ["start_date/end_date: may span at most 90 days"])
    return start, end


def w3c_parse(name: str, raw: str | None) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, [f"{name}: must be a W3C datetime, e.g. 2026-11-27T09:00:00Z"]
        ) from None
    return as_utc(value)  # a value without an offset is taken as UTC


def paging(page_raw: str | None, size_raw: str | None) -> tuple[int, int]:
    try:
        page = int(page_raw) if page_raw else 1
        size = int(size_raw) if size_raw else DEFAULT_PAGE_SIZE
    except ValueError:
        raise Open311Error(400, ["page/page_size: must be whole numbers"]) from None
    if page < 1:
        raise Open311Error(400, ["page: must be 1 or more"])
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise Open311Error(400, [f"page_size: must be from 1 to {MAX_PAGE_SIZE}"])
    return page, size


def extensions(raw: str | None) -> bool:
    """The GeoReport v2 `extensions=true` parameter: add `extended_attributes` to each request."""
    if raw in (None, "", "false"):
        return False
    if raw == "true":
        return True
    raise Open311Error(400, ["extensions: must be true or false"])


def split_list(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())
