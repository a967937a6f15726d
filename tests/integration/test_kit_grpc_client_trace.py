"""A call through a kit channel carries the caller's trace to the server: without an exporter as
bare W3C traceparent metadata (no client span built per call), with one inside OpenTelemetry's
recorded client span."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gridplus.kit import tracing
from gridplus.kit.auth import ServiceToken
from gridplus.kit.config import JwtSettings
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.tracing import continued_from
from tests.support.ports import free_port

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PRODUCER = f"00-{TRACE_ID}-b7ad6b7169203331-01"
METHOD = "/test.Trace/Call"


class StaticToken(ServiceToken):
    def __init__(self) -> None:
        super().__init__(JwtSettings("x" * 32, "gridplus"), "test")

    def get(self) -> str:
        return "token"


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    def call(request: bytes, context: grpc.ServicerContext) -> bytes:
        seen.append({key: str(value) for key, value in context.invocation_metadata()})
        return request

    handler = grpc.method_handlers_generic_handler(
        "test.Trace", {"Call": grpc.unary_unary_rpc_method_handler(call)}
    )
    port = free_port()
    grpc_server = grpc.server(futures.ThreadPoolExecutor(2), handlers=[handler])
    grpc_server.add_insecure_port(f"127.0.0.1:{port}")
    grpc_server.start()
    yield f"127.0.0.1:{port}", seen
    grpc_server.stop(None)


def call_once(address: str) -> None:
    with service_channel(address, StaticToken()) as channel:
        assert channel.unary_unary(METHOD)(b"ping", timeout=5) == b"ping"


def test_without_an_exporter_the_call_carries_the_callers_trace(
    server: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, seen = server
    tracing.configure_tracing("test")
    monkeypatch.setattr(tracing, "_exporting", False)
    with continued_from(PRODUCER, "consume PetitionAssigned"):
        caller = tracing.current_traceparent()
        call_once(address)
    call_once(address)  # outside any trace: nothing to carry, nothing made up
    with_trace, without = seen
    assert with_trace["traceparent"] == caller
    assert with_trace["traceparent"].split("-")[1] == TRACE_ID
    assert with_trace["authorization"] == "Bearer token"
    assert "traceparent" not in without and without["authorization"] == "Bearer token"


def test_with_an_exporter_the_call_gets_a_recorded_client_span(
    server: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, seen = server
    tracing.configure_tracing("test")
    monkeypatch.setattr(tracing, "_exporting", tracing._exporting)  # restored after the test
    memory = InMemorySpanExporter()
    tracing.add_span_processor(SimpleSpanProcessor(memory))
    try:
        with continued_from(PRODUCER, "consume PetitionAssigned"):
            call_once(address)
        client = [s for s in memory.get_finished_spans() if s.kind is trace.SpanKind.CLIENT]
        assert len(client) == 1
        _version, trace_id, span_id, _flags = seen[0]["traceparent"].split("-")
        assert trace_id == TRACE_ID
        assert span_id == format(client[0].context.span_id, "016x")  # the server's parent
    finally:
        memory.shutdown()
