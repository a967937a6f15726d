"""An HTTP request's trace: it continues the caller's `traceparent` (or starts one), so the
events the request writes to the outbox and its log lines carry the trace id.

With an OTLP exporter configured, OpenTelemetry's Flask instrumentation records a server span
per request. Without one (the default), that span would be built, filled with the request's
attributes and thrown away on every request (~5% of a petition submission's CPU in the
issue-13 profile), so the request runs under the kit's non-recording continuation instead, as
consumed events do (`kit.tracing.continued_from`).
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from flask import Flask, g, request
from opentelemetry.instrumentation.flask import FlaskInstrumentor

from gridplus.kit.tracing import continued_from

_UNTRACED = "healthz,readyz"


def trace_requests(app: Flask) -> None:
    """Register before the app's other request hooks, so every request runs in its trace."""
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        FlaskInstrumentor.instrument_app(app, excluded_urls=_UNTRACED)
        return
    app.before_request(_enter)
    app.teardown_request(_leave)


def _enter() -> None:
    span: AbstractContextManager[None] = continued_from(
        request.headers.get("traceparent"), request.method
    )
    span.__enter__()
    g.request_trace = span


def _leave(_error: BaseException | None) -> None:
    span: AbstractContextManager[None] | None = g.pop("request_trace", None)
    if span is not None:
        span.__exit__(None, None, None)
