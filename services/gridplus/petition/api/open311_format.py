"""Open311 answers: the same rows as JSON or as XML, and the spec's error list."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

from gridplus.kit.errors import GridPlusError, InvalidArgument, NotFound, PermissionDenied
from gridplus.petition.api.intake_limits import TooManyRequests
from gridplus.petition.api.open311_params import Attribute, Open311Error
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.redaction import redact
from gridplus.petition.ports import Category

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"


def status_notes(petition: Petition, *, with_staff_text: bool) -> str:
    """What happened, in words. Staff's own text (the reason for a rejection, the note on
    resolving) only where the petition's free text may be published, and then redacted: it
    often repeats what the reporter wrote."""
    if petition.status is Status.REJECTED:
        if with_staff_text and petition.reject_reason:
            return redact(petition.reject_reason)
        return "rejected"
    if petition.status is Status.DUPLICATE:
        return f"duplicate of {petition.duplicate_of}"
    if petition.status in (Status.RESOLVED, Status.CLOSED) and petition.resolution_note:
        if with_staff_text:
            return redact(petition.resolution_note)
        return "resolved" if petition.status is Status.RESOLVED else "closed"
    if petition.triage_reason:
        return "waiting for a person to choose the category"
    return {
        Status.SUBMITTED: "received",
        Status.ASSIGNED: "assigned to a grid worker",
        Status.VERIFIED: "verified; being handled",
        Status.REOPENED: "reopened after follow-up",
    }.get(petition.status, "")


def service_json(category: Category, top: Category | None) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": display_name(category),
        "description": category.name_zh,
        "metadata": True,  # every service has the common attributes
        "type": "realtime",
        "keywords": ",".join(k for k in (category.name_zh, category.top_level_code) if k),
        "group": display_name(top) if top else category.top_level_code,
    }


def display_name(category: Category) -> str:
    return category.name_en or category.name_zh or category.code


def attribute_json(attribute: Attribute, order: int) -> dict[str, Any]:
    return {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": "",
        "order": order,
        "description": attribute.description,
        "values": [{"key": k, "name": n} for k, n in attribute.values],
    }


def w3c(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def answer(fmt: str, root: str, item: str, rows: list[dict[str, Any]]) -> Response:
    if fmt == "json":
        return json_response(rows)
    element = ET.Element(root)
    for row in rows:
        _xml_fields(ET.SubElement(element, item), row)
    return xml_response(element)


def _xml_fields(node: ET.Element, row: dict[str, Any]) -> None:
    """One element per field; a nested object (extended_attributes) as nested elements."""
    for key, value in row.items():
        if isinstance(value, dict):
            _xml_fields(ET.SubElement(node, key), value)
        else:
            ET.SubElement(node, key).text = text(value)


def json_response(body: Any, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, mimetype="application/json")


def xml_response(root: ET.Element, status: int = 200) -> Response:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, status=status, content_type="text/xml; charset=utf-8")


def error_response(error: Exception) -> Response:
    """The spec's error list, in the format the URL asked for (JSON when it is unclear)."""
    if isinstance(error, Open311Error):
        status, descriptions = error.status, error.descriptions
    elif isinstance(error, InvalidArgument):
        status = 400
        descriptions = [f"{v.field}: {v.description}" for v in error.violations]
    elif isinstance(error, NotFound):
        status, descriptions = 404, [error.message]
    elif isinstance(error, PermissionDenied):
        status, descriptions = 403, [error.message]
    elif isinstance(error, GridPlusError):
        status, descriptions = error.http_status, [error.message]
    elif isinstance(error, HTTPException) and error.code == 404 and request.url_rule is None:
        # No Open311 route matched (errors under /open311/ all come here, problems.py).
        status, descriptions = 404, [f"no such resource: {request.path} (add .json or .xml)"]
    elif isinstance(error, HTTPException):
        status, descriptions = error.code or 500, [error.description or error.name]
    else:
        log.exception("unhandled error in an Open311 request")
        status, descriptions = 500, ["the server failed to answer; it has been logged"]
    errors = [{"code": status, "description": d} for d in descriptions]
    if request.path.endswith(".xml"):
        root = ET.Element("errors")
        for item in errors:
            node = ET.SubElement(root, "error")
            ET.SubElement(node, "code").text = str(item["code"])
            ET.SubElement(node, "description").text = str(item["description"])
        response = xml_response(root, status)
    else:
        response = json_response(errors, status)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, HTTPException):
        # What the client needs from the exception (Allow on 405), not its HTML type.
        response.headers.update(
            {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        )
    return response


def discovery(fmt: str) -> Response:
    """Open311 service discovery: where this GeoReport v2 endpoint is and what it speaks."""
    url = request.host_url.rstrip("/") + PREFIX
    formats = ["application/json", "text/xml"]
    spec = "http://wiki.open311.org/GeoReport_v2"
    changeset = "2026-11-27T00:00:00Z"
    if fmt == "json":
        endpoint = {
            "specification": spec,
            "url": url,
            "changeset": changeset,
            "type": "production",
            "formats": formats,
        }
        return json_response(
            {"changeset": changeset, "contact": "", "key_service": "", "endpoints": [endpoint]}
        )
    root = ET.Element("discovery")
    ET.SubElement(root, "changeset").text = changeset
    ET.SubElement(root, "contact").text = ""
    ET.SubElement(root, "key_service").text = ""
    node = ET.SubElement(ET.SubElement(root, "endpoints"), "endpoint")
    for key, value in (("specification", spec), ("url", url), ("changeset", changeset)):
        ET.SubElement(node, key).text = value
    ET.SubElement(node, "type").text = "production"
    listed = ET.SubElement(node, "formats")
    for media_type in formats:
        ET.SubElement(listed, "format").text = media_type
    return xml_response(root)
