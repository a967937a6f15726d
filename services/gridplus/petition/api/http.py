"""The resident HTTP API (Flask): submit a petition, follow your own petitions, health.

Built by `create_app`, never at import; served by waitress (api/http_server.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, jsonify, request
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import UnsupportedMediaType

from gridplus.kit.auth import Principal, TokenVerifier
from gridplus.kit.clock import Clock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument, PermissionDenied, TransientError
from gridplus.kit.outbox import Outbox
from gridplus.petition import handlers, metrics
from gridplus.petition.api import paging
from gridplus.petition.api.problems import problem_response
from gridplus.petition.api.views import history_json, petition_json
from gridplus.petition.domain.access import may_submit
from gridplus.petition.domain.submission import validate_submission
from gridplus.petition.domain.values import Actor
from gridplus.petition.storage.repository import PetitionQuery

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a petition's text fits many times over; photos come separately
IDEMPOTENCY_KEY_MAX = 200
PUBLIC_ENDPOINTS = frozenset({"healthz", "readyz"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def create_app(
    *,
    sessions: SessionFactory,
    outbox: Outbox,
    clock: Clock,
    jwt: JwtSettings,
    wake: Callable[[], None] = lambda: None,
) -> Flask:
    """The Flask app; `wake` is called after a commit that wrote events (the outbox relay's)."""
    app = Flask("gridplus.petition")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    routes = _Routes(sessions, outbox, clock, wake)
    app.add_url_rule("/healthz", "healthz", _healthz)
    app.add_url_rule("/readyz", "readyz", routes.readyz)
    app.add_url_rule("/api/v1/petitions", "submit", routes.submit, methods=["POST"])
    app.add_url_rule("/api/v1/petitions", "list", routes.list_own, methods=["GET"])
    app.add_url_rule("/api/v1/petitions/<petition_id>", "get", routes.get)
    app.add_url_rule("/api/v1/petitions/<petition_id>/history", "history", routes.history)
    app.before_request(_start_timer)
    app.before_request(_authenticator(TokenVerifier(jwt)))
    app.after_request(_observe)
    app.register_error_handler(Exception, problem_response)
    FlaskInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app


class _Routes:
    def __init__(
        self, sessions: SessionFactory, outbox: Outbox, clock: Clock, wake: Callable[[], None]
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock
        self._wake = wake

    def submit(self) -> tuple[Response, int, dict[str, str]]:
        reporter = _caller()
        if not may_submit(reporter):
            raise PermissionDenied(f"role {reporter.role.value} may not submit petitions")
        body = _json_object()
        submission = validate_submission(
            title=body.get("title"),
            description=body.get("description"),
            lat=body.get("lat"),
            lon=body.get("lon"),
            category=body.get("category"),
        )
        result = handlers.submit_petition_once(
            self._sessions,
            outbox=self._outbox,
            clock=self._clock,
            submission=submission,
            reporter=reporter,
            key=_idempotency_key(),
            key_field="idempotency_key",
        )
        self._wake()
        headers = {"Location": f"/api/v1/petitions/{result.petition_id}"}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return jsonify(id=result.petition_id, status="SUBMITTED"), 201, headers

    def get(self, petition_id: str) -> Response:
        with transaction(self._sessions) as session:
            petition = handlers.get_petition(session, petition_id=petition_id, viewer=_caller())
        return jsonify(petition_json(petition))

    def history(self, petition_id: str) -> Response:
        with transaction(self._sessions) as session:
            entries = handlers.get_history(session, petition_id=petition_id, viewer=_caller())
        return jsonify(petition_id=petition_id, entries=[history_json(e) for e in entries])

    def list_own(self) -> Response:
        """The caller's own petitions, newest first."""
        query = PetitionQuery(reporter_id=_caller().id)
        limit = _limit(request.args.get("limit"))
        cursor = request.args.get("cursor")
        after = paging.decode(cursor, query, field="cursor") if cursor else None
        with transaction(self._sessions) as session:
            page = handlers.list_petitions(session, query=query, after=after, limit=limit)
        next_cursor = paging.encode(page.next_key, query) if page.next_key else None
        return jsonify(
            petitions=[petition_json(p) for p in page.petitions], next_cursor=next_cursor
        )

    def readyz(self) -> Response:
        try:
            with self._sessions() as session:
                session.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("database not reachable", extra={"error": repr(exc)})
            raise TransientError("the database is not reachable") from None
        return jsonify(status="ready")


def _healthz() -> Response:
    return jsonify(status="ok")


def _caller() -> Actor:
    principal: Principal = g.principal
    return Actor(principal.subject, principal.role)


def _authenticator(verifier: TokenVerifier) -> Callable[[], None]:
    def authenticate() -> None:
        # Unknown routes fall through to a plain 404; every API route needs a bearer token.
        if request.url_rule is None or request.endpoint in PUBLIC_ENDPOINTS:
            return
        g.principal = verifier.verify_authorization(request.headers.get("Authorization"))

    return authenticate


def _json_object() -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType("send the petition as application/json")
    try:
        body = json.loads(request.get_data(cache=False))
    except json.JSONDecodeError as exc:
        raise InvalidArgument.single("body", f"is not valid JSON: {exc.msg} at {exc.pos}") from None
    except (ValueError, RecursionError):
        raise InvalidArgument.single("body", "is not valid UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise InvalidArgument.single("body", "must be a JSON object")
    return body


def _idempotency_key() -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    # The IETF draft sends the key as a structured-field string ("..."); plain tokens work too.
    key = raw.strip().removeprefix('"').removesuffix('"')
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise InvalidArgument.single(
            "idempotency_key", f"must be 1 to {IDEMPOTENCY_KEY_MAX} printable characters"
        )
    return key


def _limit(raw: str | None) -> int:
    if raw is None:
        return paging.DEFAULT_PAGE_SIZE
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= paging.MAX_PAGE_SIZE:
        raise InvalidArgument.single(
            "limit", f"must be a whole number from 1 to {paging.MAX_PAGE_SIZE}"
        )
    return limit


def _start_timer() -> None:
    g.started = time.perf_counter()


def _observe(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    method = request.method if request.method in _METHODS else "OTHER"  # bounded labels
    labels = (method, route, str(response.status_code))
    metrics.HTTP_REQUESTS.labels(*labels).inc()
    started = g.get("started")
    if started is not None:
        metrics.HTTP_LATENCY.labels(*labels).observe(time.perf_counter() - started)
    return response
