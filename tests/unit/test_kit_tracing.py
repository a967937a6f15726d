"""The kit's trace context through Kafka: a consumed event continues its producer's trace, and
the events its handler writes carry that trace on; recorded consumer spans only when an exporter
(here an in-memory one) is configured, none built and dropped per event otherwise."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gridplus.kit import tracing
from gridplus.kit.logging import JsonFormatter
from gridplus.kit.tracing import continued_from, current_traceparent

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN = "b7ad6b7169203331"
PRODUCER = f"00-{TRACE_ID}-{PARENT_SPAN}-01"


def parts(traceparent: str | None) -> list[str]:
    assert traceparent is not None
    version, trace_id, span_id, flags = traceparent.split("-")
    assert version == "00" and len(trace_id) == 32 and len(span_id) == 16
    return [trace_id, span_id, flags]


@pytest.fixture
def without_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    tracing.configure_tracing("test")
    monkeypatch.setattr(tracing, "_exporting", False)


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    tracing.configure_tracing("test")
    monkeypatch.setattr(tracing, "_exporting", tracing._exporting)  # restored after the test
    memory = InMemorySpanExporter()
    tracing.add_span_processor(SimpleSpanProcessor(memory))
    yield memory
    memory.shutdown()  # the processor stays installed; a stopped exporter keeps nothing


@pytest.mark.usefixtures("without_exporter")
def test_without_an_exporter_the_events_a_handler_writes_continue_the_producers_trace() -> None:
    with continued_from(PRODUCER, "consume PetitionSubmitted", consumer="dispatch"):
        trace_id, span_id, flags = parts(current_traceparent())
        inner = trace.get_current_span()
    assert (trace_id, flags) == (TRACE_ID, "01")
    assert span_id != PARENT_SPAN  # a span of its own, as the SDK's would have
    assert not inner.is_recording()  # nothing built to be thrown away
    assert current_traceparent() is None  # the context is left as it was found


@pytest.mark.usefixtures("without_exporter")
def test_without_an_exporter_an_unsampled_producer_stays_unsampled() -> None:
    with continued_from(f"00-{TRACE_ID}-{PARENT_SPAN}-00", "consume"):
        assert parts(current_traceparent())[::2] == [TRACE_ID, "00"]


@pytest.mark.usefixtures("without_exporter")
@pytest.mark.parametrize(
    "traceparent", [None, "", "not-a-traceparent", f"00-{'0' * 32}-{'1' * 16}-01"]
)
def test_without_an_exporter_an_event_without_a_valid_trace_starts_one(
    traceparent: str | None,
) -> None:
    seen: set[str] = set()
    for _ in range(2):
        with continued_from(traceparent, "consume"):
            trace_id, _span, flags = parts(current_traceparent())
        assert trace_id != "0" * 32 and flags == "01"
        seen.add(trace_id)
    assert len(seen) == 2  # a new trace per event, as a root span would start


@pytest.mark.usefixtures("without_exporter")
def test_log_lines_of_a_consumed_event_carry_its_trace_id() -> None:
    record = logging.LogRecord("gridplus.test", logging.INFO, __file__, 1, "applied", (), None)
    with continued_from(PRODUCER, "consume"):
        line = json.loads(JsonFormatter("dispatch").format(record))
    assert line["trace_id"] == TRACE_ID


def test_with_an_exporter_each_event_gets_a_recorded_consumer_span(
    exported: InMemorySpanExporter,
) -> None:
    with continued_from(PRODUCER, "consume PetitionSubmitted", consumer="dispatch"):
        trace_id, span_id, _flags = parts(current_traceparent())
    with continued_from(None, "consume PetitionAssigned", consumer="dispatch"):
        pass
    first, second = exported.get_finished_spans()
    assert first.name == "consume PetitionSubmitted"
    assert first.kind is trace.SpanKind.CONSUMER
    assert first.attributes is not None and first.attributes["consumer"] == "dispatch"
    assert first.parent is not None and format(first.parent.span_id, "016x") == PARENT_SPAN
    assert format(first.context.trace_id, "032x") == trace_id == TRACE_ID
    assert format(first.context.span_id, "016x") == span_id  # the events written name it
    assert second.parent is None  # no producer's trace: a root span


def test_a_span_processor_needs_the_sdk_provider_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.NoOpTracerProvider())
    with pytest.raises(RuntimeError, match="configure_tracing"):
        tracing.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
