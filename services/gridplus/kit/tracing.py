"""OpenTelemetry: one tracer provider per process, and trace context carried through Kafka.

A consumed event continues its producer's trace. With an exporter configured, each event gets
a recorded consumer span. Without one (the default: `OTEL_EXPORTER_OTLP_ENDPOINT` unset), a
recorded span would be built and thrown away for every event (~55 µs of CPU each, 4–8% of a
consumer's time in the issue-13 profile), so the event's handler runs under a non-recording
span instead: the producer's trace id and sampled flag, a span id of its own, what the SDK's
span would have carried. The events the handler writes, and its log lines, carry the same
trace id either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_configured = False
_exporting = False  # a span processor is installed: consumer spans are recorded
_W3C = TraceContextTextMapPropagator()
_IDS = RandomIdGenerator()


def configure_tracing(service_name: str) -> None:
    """Install the SDK tracer provider; spans are exported only when an OTLP endpoint is set."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"gridplus-{service_name}"})
    )
    trace.set_tracer_provider(provider)
    _configured = True
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))


def add_span_processor(processor: SpanProcessor) -> None:
    """Send spans to `processor` (the OTLP exporter; an in-memory one in tests): from now on a
    consumed event gets a recorded span of its own."""
    global _exporting
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        raise RuntimeError("configure_tracing() first: the SDK tracer provider is not installed")
    provider.add_span_processor(processor)
    _exporting = True


def exporting() -> bool:
    """Whether spans are recorded (a span processor was added): else servers and consumers run
    their work under a non-recording continuation of the caller's trace (`continued_from`)."""
    return _exporting


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, to store beside an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def continued_from(traceparent: str | None, span_name: str, **attributes: str) -> Iterator[None]:
    """Run a block in a consumer span whose parent is the producer's traceparent (a
    non-recording one when no exporter is configured: see the module's docstring)."""
    if not _exporting:
        token = context.attach(_unrecorded_child(traceparent))
        try:
            yield
        finally:
            context.detach(token)
        return
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    token = context.attach(parent)
    try:
        with tracer("gridplus.kit").start_as_current_span(
            span_name, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ):
            yield
    finally:
        context.detach(token)


def _unrecorded_child(traceparent: str | None) -> Context:
    """A context whose span continues `traceparent` (or starts a trace, as the SDK's root span
    would, sampled) without recording anything."""
    parent = trace.INVALID_SPAN_CONTEXT
    if traceparent:
        extracted = _W3C.extract({"traceparent": traceparent})
        parent = trace.get_current_span(extracted).get_span_context()
    if parent.is_valid:
        trace_id, flags, state = parent.trace_id, parent.trace_flags, parent.trace_state
    else:
        trace_id = _IDS.generate_trace_id()
        flags, state = trace.TraceFlags(trace.TraceFlags.SAMPLED), None
    span = trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id, _IDS.generate_span_id(), is_remote=False, trace_flags=flags, trace_state=state
        )
    )
    return trace.set_span_in_context(span, Context())
