"""One Flask error handler: every error becomes RFC 9457 application/problem+json.

Grid+ errors carry their own HTTP status (gridplus.kit.errors); werkzeug's HTTP errors (unknown
route, wrong method, wrong content type, body too large) keep theirs; anything else is a 500
that is logged and described to the client only as an internal error.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

from gridplus.kit.errors import GridPlusError, InvalidArgument
from gridplus.petition.api import open311_format
from gridplus.petition.api.intake_limits import TooManyRequests

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_response(error: Exception) -> Response:
    if request.path.startswith(open311_format.PREFIX + "/"):
        # Errors raised before Open311's blueprint is chosen (a method no Open311 route
        # answers): an Open311 client still reads the spec's error list, not problem+json.
        return open311_format.error_response(error)
    if isinstance(error, GridPlusError):
        return _grid_plus_problem(error)
    if isinstance(error, HTTPException):
        return _http_problem(error)
    log.exception("unhandled error in HTTP request")
    return problem(500, "Internal error", "the server failed to answer; it has been logged")


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **(extra or {})}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def _grid_plus_problem(error: GridPlusError) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(error, InvalidArgument):
        extra["errors"] = [{"field": v.field, "detail": v.description} for v in error.violations]
    headers = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else {}
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    slug = re.sub(r"[^a-z0-9]+", "-", error.title.lower()).strip("-")
    return problem(
        error.http_status,
        error.title,
        error.message,
        type_=f"urn:gridplus:problem:{slug}",
        extra=extra,
        headers=headers,
    )


def _http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    # Keep what the exception says the client needs (e.g. Allow on 405), not its HTML type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(status, error.name, error.description or error.name, headers=headers)
