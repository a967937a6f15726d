"""Open311 GeoReport v2 at /open311/v2/ (https://wiki.open311.org/GeoReport_v2), every resource
in `.json` and `.xml`:

- GET  services.{fmt}                 the category taxonomy (from grid-registry) as services
- GET  services/{service_code}.{fmt}  a service definition with its attributes
- GET  requests.{fmt}                 public fields only; filters service_request_id,
                                      service_code, start_date/end_date (<= 90 days), status;
                                      `page`/`page_size` paging extension
- POST requests.{fmt}                 form-encoded, with api_key; lat/long, attribute[...], ...
                                      (attribute[make_public]=true: the reporter publishes it)
- GET  requests/{id}.{fmt}            one request
  (GET with `extensions=true`: each request also has `extended_attributes`: its grid, whether
  its text is published and whether its point is exact)
- GET  tokens/{token_id}.{fmt}        the request a token stands for (a POST answers with both)

Errors are the spec's list of {code, description} with the matching HTTP status. The lifecycle
maps onto open/closed: CLOSED, REJECTED and DUPLICATE are closed; a RESOLVED petition stays open
until its follow-up confirms it (DESIGN: no fake closures).

GET publishes what the deployment's publishing level allows (domain/publication.py): by default
a coarse point and no free text unless the reporter or staff made the petition public.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, request
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.roles import Role
from gridplus.petition.api.idempotency import idempotency_key
from gridplus.petition.api.intake_limits import IntakeGuard
from gridplus.petition.api.open311_format import (
    PREFIX,
    answer,
    attribute_json,
    discovery,
    display_name,
    error_response,
    json_response,
    service_json,
    status_notes,
    text,
    w3c,
    xml_response,
)
from gridplus.petition.api.open311_params import (
    ATTRIBUTES,
    CLOSED,
    MAKE_PUBLIC,
    Open311Error,
    date_range,
    extensions,
    number,
    paging,
    parse_attributes,
    split_list,
    statuses,
    title_from,
)
from gridplus.petition.domain.access import Viewer
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.publication import PublishLevel, public_details
from gridplus.petition.domain.submission import (
    checked_text,
    validate_contact,
    validate_submission,
)
from gridplus.petition.domain.values import Source
from gridplus.petition.handlers import intake
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.handlers.intake import NewPetition
from gridplus.petition.ports import Category, CategorySource
from gridplus.petition.storage import repository
from gridplus.petition.storage.repository import PetitionQuery


@dataclass(frozen=True)
class Open311Settings:
    api_keys: frozenset[str] = field(default_factory=frozenset)
    jurisdiction_id: str = "gridplus"
    publish: PublishLevel = PublishLevel.OPTED_IN  # what GET shows (domain/publication.py)


def register(
    app: Flask,
    sessions: SessionFactory,
    deps: Deps,
    categories: CategorySource,
    settings: Open311Settings,
    wake: Callable[[], None],
    guard: IntakeGuard,
) -> None:
    api = _Open311(sessions, deps, categories, settings, wake, guard)
    bp = Blueprint("open311", __name__, url_prefix=PREFIX)
    fmt = "<any(json, xml):fmt>"
    bp.add_url_rule(f"/discovery.{fmt}", "discovery", discovery)
    bp.add_url_rule(f"/services.{fmt}", "services", api.services)
    bp.add_url_rule(f"/services/<service_code>.{fmt}", "service", api.service_definition)
    bp.add_url_rule(f"/requests.{fmt}", "requests", api.get_requests, methods=["GET"])
    bp.add_url_rule(f"/requests.{fmt}", "post_request", api.post_request, methods=["POST"])
    bp.add_url_rule(f"/requests/<request_id>.{fmt}", "request", api.get_request)
    bp.add_url_rule(f"/tokens/<token_id>.{fmt}", "token", api.token)
    bp.register_error_handler(Exception, error_response)
    app.register_blueprint(bp)


class _Open311:
    def __init__(
        self,
        sessions: SessionFactory,
        deps: Deps,
        categories: CategorySource,
        settings: Open311Settings,
        wake: Callable[[], None],
        guard: IntakeGuard,
    ) -> None:
        self._sessions = sessions
        self._deps = deps
        self._categories = categories
        self._settings = settings
        self._wake = wake
        self._guard = guard

    def services(self, fmt: str) -> Response:
        self._jurisdiction()
        tops = {c.code: c for c in self._categories.categories() if not c.parent_code}
        listed = [
            service_json(c, tops.get(c.top_level_code)) for c in self._categories.categories()
        ]
        return answer(fmt, "services", "service", listed)

    def service_definition(self, service_code: str, fmt: str) -> Response:
        self._jurisdiction()
        category = self._category(service_code, status=404)
        attributes_json = [attribute_json(a, n) for n, a in enumerate(ATTRIBUTES, start=1)]
        if fmt == "json":
            return json_response({"service_code": category.code, "attributes": attributes_json})
        root = ET.Element("service_definition")
        ET.SubElement(root, "service_code").text = category.code
        attributes = ET.SubElement(root, "attributes")
        for item in attributes_json:
            element = ET.SubElement(attributes, "attribute")
            for key, value in item.items():
                if key == "values":
                    values = ET.SubElement(element, "values")
                    for option in value:
                        node = ET.SubElement(values, "value")
                        ET.SubElement(node, "key").text = option["key"]
                        ET.SubElement(node, "name").text = option["name"]
                else:
                    ET.SubElement(element, key).text = text(value)
        return xml_response(root)

    def get_requests(self, fmt: str) -> Response:
        self._jurisdiction()
        args = request.args
        ids = split_list(args.get("service_request_id"))
        codes = split_list(args.get("service_code"))
        start, end = date_range(
            args.get("start_date"), args.get("end_date"), self._deps.clock.now()
        )
        page, size = paging(args.get("page"), args.get("page_size"))
        query = PetitionQuery(
            ids=ids,
            statuses=statuses(args.get("status")),
            # Asking by id: the date window does not apply (the spec's other filters do).
            created_from=None if ids else start,
            created_to=None if ids else end,
            category=codes[0] if len(codes) == 1 else None,
        )
        with transaction(self._sessions) as session:
            found = _page_of(session, query, set(codes), page, size)
            extended = extensions(args.get("extensions"))
            listed = [self._request_json(p, extended) for p in found]
        return answer(fmt, "service_requests", "request", listed)

    def get_request(self, request_id: str, fmt: str) -> Response:
        self._jurisdiction()
        with transaction(self._sessions) as session:
            petition = repository.get(session, petition_id=request_id)
            extended = extensions(request.args.get("extensions"))
            listed = [self._request_json(petition, extended)]
        return answer(fmt, "service_requests", "request", listed)

    def token(self, token_id: str, fmt: str) -> Response:
        """A POST answers with the service_request_id at once and a token equal to it."""
        self._jurisdiction()
        with transaction(self._sessions) as session:
            petition = repository.get(session, petition_id=token_id)
        listed = [{"service_request_id": petition.id, "token": petition.id}]
        return answer(fmt, "service_requests", "request", listed)

    def post_request(self, fmt: str) -> tuple[Response, int]:
        form = request.form
        self._jurisdiction(form.get("jurisdiction_id"))
        api_key = form.get("api_key", "")
        if not api_key or api_key not in self._settings.api_keys:
            raise Open311Error(403, ["api_key: is missing or not valid"])
        reporter = _reporter(api_key, form)
        # Only known keys count (an unknown one was refused above), so callers stay bounded.
        self._guard.api_key(api_key)
        if form.get("account_id") or form.get("device_id"):
            # One client's account or device: held to a resident's limit within its key.
            self._guard.resident(reporter.id, channel="open311")
        new = self._new_petition(form)
        result = intake.submit_petition_once(
            self._sessions,
            self._deps,
            new=new,
            reporter=reporter,
            key=idempotency_key(),
            key_field="idempotency_key",
        )
        self._wake()
        listed = [
            {
                "service_request_id": result.petition_id,
                "token": result.petition_id,
                "service_notice": "",
                "account_id": form.get("account_id", "").strip(),
            }
        ]
        response = answer(fmt, "service_requests", "request", listed)
        return response, 201

    def _new_petition(self, form: MultiDict[str, str]) -> NewPetition:
        problems: list[str] = []
        code = form.get("service_code", "").strip()
        if not code:
            problems.append("service_code: is required")
        elif self._categories.get(code) is None:
            problems.append(f"service_code: {code!r} is not a service of this jurisdiction")
        lat, lon, address = form.get("lat"), form.get("long"), form.get("address_string")
        if (lat is None or lon is None) and not address:
            problems.append("lat/long: lat and long, or address_string, are required")
        elif lat is None or lon is None:
            problems.append(
                "lat/long: are required; this jurisdiction cannot place an address_string alone"
            )
        given = dict(parse_attributes(form, problems))
        make_public = given.pop(MAKE_PUBLIC, "false") == "true"
        description = form.get("description", "")
        media_url = form.get("media_url", "").strip() or None
        if media_url and not re.match(r"^https?://", media_url):
            problems.append("media_url: must be an http(s) URL")
        problems += _identity_problems(form)
        submission = contact = None
        try:
            submission = validate_submission(
                title=title_from(description, code),
                description=description,
                lat=number(lat),
                lon=number(lon),
                category=code or None,
                make_public=make_public,
                address=address,
                media_url=media_url,
                attributes=tuple(sorted(given.items())),
            )
        except InvalidArgument as exc:
            problems += [_named(v.field, v.description) for v in exc.violations]
        name = " ".join(p for p in (form.get("first_name", ""), form.get("last_name", "")) if p)
        try:
            contact = validate_contact(
                {"name": name, "phone": form.get("phone"), "email": form.get("email")}
            )
        except InvalidArgument as exc:
            problems += [_named(v.field, v.description) for v in exc.violations]
        if problems or submission is None or contact is None:
            # The title is the description's first line: one problem, named once.
            raise Open311Error(400, list(dict.fromkeys(problems)))
        return NewPetition(submission, contact, source=Source.OPEN311)

    def _request_json(self, petition: Petition, extended: bool = False) -> dict[str, Any]:
        """The spec's fields, as much of them as the publishing level lets the public see;
        `extended`: also the grid and what was withheld (`extensions=true`)."""
        category = self._categories.get(petition.category) if petition.category else None
        public = public_details(petition, self._settings.publish)
        row: dict[str, Any] = {
            "service_request_id": petition.id,
            "status": "closed" if petition.status in CLOSED else "open",
            "status_notes": status_notes(petition, with_staff_text=public.text_public),
            "service_name": display_name(category) if category else (petition.category or ""),
            "service_code": petition.category or "",
            "description": public.description,
            "agency_responsible": petition.department_code
            or (petition.grid.code if petition.grid else ""),
            "service_notice": "",
            "requested_datetime": w3c(petition.created_at),
            "updated_datetime": w3c(petition.updated_at),
            "expected_datetime": w3c(petition.deadline) if petition.deadline else "",
            "address": public.address,
            "address_id": "",
            "zipcode": "",
            "lat": public.location.lat,
            "long": public.location.lon,
            "media_url": public.media_url,
        }
        if extended:
            row["extended_attributes"] = {
                "grid": petition.grid.code if petition.grid else "",
                "text_published": public.text_public,
                "location_exact": public.location_exact,
            }
        return row

    def _category(self, code: str, *, status: int) -> Category:
        category = self._categories.get(code)
        if category is None:
            raise Open311Error(status, [f"service_code: {code!r} is not a service"])
        return category

    def _jurisdiction(self, given: str | None = None) -> None:
        given = given if given is not None else request.args.get("jurisdiction_id")
        if given and given != self._settings.jurisdiction_id:
            raise Open311Error(404, [f"jurisdiction_id: {given!r} is not served here"])


_OPEN311_NAMES = {
    "lon": "long",
    "title": "description",
    "category": "service_code",
    "address": "address_string",
    "name": "first_name/last_name",
}


def _named(field_name: str, description: str) -> str:
    """A domain field's problem under the name the Open311 client sent it as."""
    return f"{_OPEN311_NAMES.get(field_name, field_name)}: {description}"


def _identity_problems(form: MultiDict[str, str]) -> list[str]:
    """account_id and device_id are only hashed (and account_id echoed), yet they are text from
    the caller too: control and bidi characters are refused like everywhere else."""
    problems = []
    for name in ("account_id", "device_id"):
        _, problem = checked_text(name, form.get(name, ""), multiline=False)
        if problem:
            problems.append(f"{name}: {problem}")
    return problems


def _page_of(
    session: Session, query: PetitionQuery, codes: set[str], page: int, size: int
) -> list[Petition]:
    """Page `page` (from 1) of `size`, newest first; several service codes filter in Python."""
    if len(codes) <= 1:
        skip = (page - 1) * size
        return repository.get_all(session, query=query, after=None, limit=size, offset=skip)
    found: list[Petition] = []
    after = None
    while len(found) < page * size:
        batch = repository.get_all(session, query=query, after=after, limit=500)
        found += [p for p in batch if p.category in codes]
        if len(batch) < 500:
            break
        after = repository.PageKey(batch[-1].created_at, batch[-1].id)
    return found[(page - 1) * size : page * size]


def _reporter(api_key: str, form: MultiDict[str, str]) -> Viewer:
    """Open311 reporters are anonymous to us; the client's account or device id (per api key)
    keeps one person's requests together."""
    client = hashlib.sha256(api_key.encode()).hexdigest()[:12]
    person = form.get("account_id") or form.get("device_id") or ""
    suffix = hashlib.sha256(person.encode()).hexdigest()[:16] if person else "anonymous"
    return Viewer(f"open311:{client}:{suffix}", Role.RESIDENT)
