"""The resident HTTP API (Flask): submit a petition (JSON, or multipart with photos), follow your
own petitions and their photos, rate a resolved one and read its follow-up (evaluation's, over
gRPC), erase your personal data, health; and Open311 (api/open311.py).

Built by `create_app`, never at import; served by waitress (api/http_server.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from gridplus.kit.auth import TokenVerifier
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument, NotFound, PermissionDenied, TransientError
from gridplus.kit.roles import Principal, Role
from gridplus.kit.text import clean_text
from gridplus.petition import metrics
from gridplus.petition.api import open311, openapi, paging, resident_page, resident_view
from gridplus.petition.api.convert import history_json, petition_json, view_json
from gridplus.petition.api.follow_up_json import answer_json, follow_up_json
from gridplus.petition.api.idempotency import idempotency_key
from gridplus.petition.api.intake_limits import IntakeGuard, IntakeLimits
from gridplus.petition.api.problems import problem_response
from gridplus.petition.api.request_trace import trace_requests
from gridplus.petition.domain.access import Viewer, may_submit
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.photos import CleanPhoto, check_count
from gridplus.petition.domain.submission import validate_contact, validate_submission
from gridplus.petition.handlers import intake, personal_data, queries
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.handlers.intake import NewPetition
from gridplus.petition.ports import CategorySource, FollowUps
from gridplus.petition.storage.blobs import BlobNotFound
from gridplus.petition.storage.images import clean_photo
from gridplus.petition.storage.repository import PetitionQuery

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a petition's text fits many times over; photos come as multipart
PUBLIC_ENDPOINTS = frozenset({"healthz", "readyz", openapi.ENDPOINT, *resident_page.PAGE_ENDPOINTS})
_CONTACT_FIELDS = ("name", "phone", "email", "address", "language")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_INT32_MAX = 2**31 - 1
_FLAGS: dict[str | None, bool] = {None: False, "": False, "false": False, "true": True}


def create_app(
    *,
    sessions: SessionFactory,
    deps: Deps,
    jwt: JwtSettings,
    wake: Callable[[], None] = lambda: None,
    categories: CategorySource | None = None,
    open311_settings: open311.Open311Settings | None = None,
    follow_ups: FollowUps | None = None,
    intake_limits: IntakeLimits | None = None,
) -> Flask:
    """The Flask app; `wake` is called after a commit that wrote events (the outbox relay's).
    Open311 is served when a category source is given; rating and follow-up when evaluation's
    client is. `intake_limits` (default: IntakeLimits()) bound submissions per resident and
    per Open311 api key."""
    # No static folder: the page serves its own files (resident_page.py), nothing else is served.
    app = Flask("gridplus.petition", static_folder=None)
    limits = deps.photo_limits
    # Multipart submissions carry photos; JSON bodies are held to MAX_BODY_BYTES separately.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + limits.max_count * limits.max_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    guard = IntakeGuard(intake_limits or IntakeLimits(), deps.clock)
    routes = _Routes(sessions, deps, wake, guard)
    app.add_url_rule("/healthz", "healthz", _healthz)
    resident_page.register(app)
    openapi.register(app)
    app.add_url_rule("/readyz", "readyz", routes.readyz)
    app.add_url_rule("/api/v1/petitions", "submit", routes.submit, methods=["POST"])
    app.add_url_rule("/api/v1/petitions", "list", routes.list_own, methods=["GET"])
    app.add_url_rule("/api/v1/petitions/<petition_id>", "get", routes.get)
    app.add_url_rule("/api/v1/petitions/<petition_id>/history", "history", routes.history)
    app.add_url_rule("/api/v1/petitions/<petition_id>/photos/<int:seq>", "photo", routes.photo)
    app.add_url_rule("/api/v1/me/personal-data", "erase_me", routes.erase_me, methods=["DELETE"])
    if follow_ups is not None:
        follow_up = _FollowUpRoutes(sessions, follow_ups)
        app.add_url_rule(
            "/api/v1/petitions/<petition_id>/rating", "rate", follow_up.rate, methods=["POST"]
        )
        app.add_url_rule("/api/v1/petitions/<petition_id>/follow-up", "follow_up", follow_up.get)
    if categories is not None:
        open311.register(
            app,
            sessions,
            deps,
            categories,
            open311_settings or open311.Open311Settings(),
            wake,
            guard,
        )
    trace_requests(app)
    app.before_request(_start_timer)
    app.before_request(_authenticator(TokenVerifier(jwt)))
    app.after_request(_observe)
    app.register_error_handler(Exception, problem_response)
    return app


class _Routes:
    def __init__(
        self, sessions: SessionFactory, deps: Deps, wake: Callable[[], None], guard: IntakeGuard
    ) -> None:
        self._sessions = sessions
        self._deps = deps
        self._wake = wake
        self._guard = guard

    def submit(self) -> tuple[Response, int, dict[str, str]]:
        reporter = _caller()
        if not may_submit(reporter):
            raise PermissionDenied(f"role {reporter.role.value} may not submit petitions")
        # Before the body is read: a flood costs no parsing, photo decoding or database work.
        self._guard.resident(reporter.id, channel="http")
        key = idempotency_key()
        new = self._multipart() if request.mimetype == "multipart/form-data" else _json_new()
        result = intake.submit_petition_once(
            self._sessions,
            self._deps,
            new=new,
            reporter=reporter,
            key=key,
            key_field="idempotency_key",
        )
        self._wake()
        headers = {"Location": f"/api/v1/petitions/{result.petition_id}"}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return jsonify(id=result.petition_id, status="SUBMITTED"), 201, headers

    def _multipart(self) -> NewPetition:
        """Form fields as in the JSON body (contact fields at the top level) and `photos`
        files; every photo is checked and cleaned before anything is stored."""
        form = request.form
        submission = validate_submission(
            title=form.get("title"),
            description=form.get("description"),
            lat=_number(form.get("lat")),
            lon=_number(form.get("lon")),
            category=form.get("category"),
            make_public=_form_flag(form.get("make_public")),
        )
        contact = validate_contact({k: form.get(k) for k in _CONTACT_FIELDS})
        if "photos" in form:
            # A part without a filename is a plain field, not a file: refused, not dropped.
            raise InvalidArgument.single("photos", "must be sent as files (parts with a filename)")
        files = request.files.getlist("photos")
        limits = self._deps.photo_limits
        check_count(len(files), limits)
        photos: list[CleanPhoto] = []
        for n, upload in enumerate(files):
            data = upload.stream.read(limits.max_bytes + 1)
            photos.append(clean_photo(data, limits, field=f"photos[{n}]"))
        return NewPetition(submission, contact, photos)

    def get(self, petition_id: str) -> Response:
        with transaction(self._sessions) as session:
            view = queries.get_view(session, self._deps, petition_id=petition_id, viewer=_caller())
        return jsonify(resident_view.petition_for(_caller(), view_json(view)))

    def photo(self, petition_id: str, seq: int) -> Response:
        """Only for those who may see the petition; cached privately by the browser."""
        with transaction(self._sessions) as session:
            try:
                ref, data = queries.get_photo(
                    session, self._deps, petition_id=petition_id, seq=seq, viewer=_caller()
                )
            except BlobNotFound:
                raise NotFound(f"photo {seq} of petition {petition_id} is gone") from None
        response = Response(data, mimetype=ref.media_type)
        response.headers["Cache-Control"] = "private, max-age=3600"
        response.headers["ETag"] = f'"{ref.digest}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def erase_me(self) -> tuple[str, int]:
        """A resident erases their personal data (信息保密处理); their petitions stay."""
        caller = _caller()
        if caller.role is not Role.RESIDENT:
            raise PermissionDenied("only residents erase their own data here; staff use gRPC")
        with transaction(self._sessions) as session:
            personal_data.anonymise_resident(session, self._deps, resident_id=caller.id)
        return "", 204

    def history(self, petition_id: str) -> Response:
        with transaction(self._sessions) as session:
            entries = queries.get_history(session, petition_id=petition_id, viewer=_caller())
        shown = resident_view.history_for(_caller(), [history_json(e) for e in entries])
        return jsonify(petition_id=petition_id, entries=shown)

    def list_own(self) -> Response:
        """The caller's own petitions, newest first."""
        query = PetitionQuery(reporter_id=_caller().id)
        limit = _limit(request.args.get("limit"))
        cursor = request.args.get("cursor")
        after = paging.decode(cursor, query, field="cursor") if cursor else None
        with transaction(self._sessions) as session:
            page = queries.list_petitions(
                session, query=query, after=after, limit=limit, clock=self._deps.clock
            )
        next_cursor = paging.encode(page.next_key, query) if page.next_key else None
        now = self._deps.clock.now()
        caller = _caller()
        listed = [
            resident_view.petition_for(caller, petition_json(p) | {"light": _light_value(p, now)})
            for p in page.petitions
        ]
        return jsonify(petitions=listed, next_cursor=next_cursor)

    def readyz(self) -> Response:
        try:
            with self._sessions() as session:
                session.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("database not reachable", extra={"error": repr(exc)})
            raise TransientError("the database is not reachable") from None
        return jsonify(status="ready")


class _FollowUpRoutes:
    """Rating (满意度评价) and follow-up of a petition: this service checks that the caller may
    see it (the reporter, or a reporter of a duplicate merged into it), evaluation does the rest
    (range, RESOLVED and not yet answered, the Idempotency-Key as its request id)."""

    def __init__(self, sessions: SessionFactory, client: FollowUps) -> None:
        self._sessions = sessions
        self._client = client

    def rate(self, petition_id: str) -> tuple[Response, int, dict[str, str]]:
        caller = _caller()
        if caller.role is not Role.RESIDENT:
            raise PermissionDenied(
                "only the resident who reported a petition rates it; staff record follow-up"
                " visits with evaluation's RecordFollowUpVisit"
            )
        key = idempotency_key()
        rating, comment = _json_rating()
        with transaction(self._sessions) as session:
            queries.get_petition(session, petition_id=petition_id, viewer=caller)
        answer = self._client.rate(
            petition_id=petition_id,
            resident_id=caller.id,
            rating=rating,
            comment=comment,
            request_id=key or "",
        )
        location = f"/api/v1/petitions/{petition_id}/follow-up"
        return jsonify(answer_json(answer)), 201, {"Location": location}

    def get(self, petition_id: str) -> Response:
        with transaction(self._sessions) as session:
            queries.get_petition(session, petition_id=petition_id, viewer=_caller())
        state = self._client.get(petition_id=petition_id)
        return jsonify(follow_up_json(petition_id, state))


def _healthz() -> Response:
    return jsonify(status="ok")


def _caller() -> Viewer:
    principal: Principal = g.principal
    return Viewer.of(principal)


def _authenticator(verifier: TokenVerifier) -> Callable[[], None]:
    def authenticate() -> None:
        # Unknown routes fall through to a plain 404; every API route needs a bearer token.
        if request.url_rule is None or request.endpoint in PUBLIC_ENDPOINTS:
            return
        if (request.endpoint or "").startswith("open311."):
            return  # public; POST checks the Open311 api_key itself
        g.principal = verifier.verify_authorization(request.headers.get("Authorization"))

    return authenticate


def _json_new() -> NewPetition:
    body = _json_object()
    submission = validate_submission(
        title=body.get("title"),
        description=body.get("description"),
        lat=body.get("lat"),
        lon=body.get("lon"),
        category=body.get("category"),
        make_public=body.get("make_public", False),
    )
    raw_contact = body.get("contact") or {}
    if not isinstance(raw_contact, dict):
        raise InvalidArgument.single("contact", "must be an object")
    return NewPetition(submission, validate_contact(raw_contact, prefix="contact."))


def _json_rating() -> tuple[int, str]:
    """`rating` a whole number (evaluation checks 1..5) and an optional `comment` string."""
    if not request.is_json:
        raise UnsupportedMediaType("send the rating as application/json")
    body = _json_object()
    rating = body.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int) or abs(rating) > _INT32_MAX:
        raise InvalidArgument.single("rating", "must be a whole number from 1 to 5")
    comment = body.get("comment")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise InvalidArgument.single("comment", "must be a string")
    return rating, clean_text(comment, field="comment", multiline=True)


def _form_flag(raw: str | None) -> object:
    """A form's true/false as a bool (absent: false); anything else as given, to be named."""
    return _FLAGS.get(raw, raw)


def _number(raw: str | None) -> object:
    """A form value as a number when it is one; otherwise as given (the check names it)."""
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw


def _json_object() -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType(
            "send the petition as application/json, or as multipart/form-data with photos"
        )
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(f"a JSON petition must be at most {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(request.get_data(cache=False))
    except json.JSONDecodeError as exc:
        raise InvalidArgument.single("body", f"is not valid JSON: {exc.msg} at {exc.pos}") from None
    except (ValueError, RecursionError):
        raise InvalidArgument.single("body", "is not valid UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise InvalidArgument.single("body", "must be a JSON object")
    return body


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


def _light_value(petition: Petition, now: datetime) -> str | None:
    light = petition.light(now)
    return light.value if light else None
