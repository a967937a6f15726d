"""A gRPC call continues its caller's trace on the kit server: without a span exporter (no
OpenTelemetry server span recorded, issue 13) the method runs under the caller's trace id, or
under a trace of its own when the caller sent none."""

from __future__ import annotations

import grpc
import pytest
from opentelemetry import trace

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME
from gridplus.kit import tracing
from gridplus.kit.auth import ServiceToken
from gridplus.kit.config import JwtSettings
from tests.conftest import JWT_SECRET
from tests.support.grpc import serving

JWT = JwtSettings(JWT_SECRET, "gridplus")
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
TRACEPARENT = f"00-{TRACE_ID:032x}-00f067aa0ba902b7-01"


class Recorder(grid_pb2_grpc.GridRegistryServiceServicer):
    def __init__(self) -> None:
        self.spans: list[trace.Span] = []

    def LocateGrid(
        self, request: grid_pb2.LocateGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.LocateGridResponse:
        self.spans.append(trace.get_current_span())
        return grid_pb2.LocateGridResponse()


def test_a_call_continues_the_callers_trace_without_recording_a_span(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tracing, "_exporting", False)  # no OTLP endpoint (another test adds one)
    recorder = Recorder()
    token = ServiceToken(JWT, "dispatch").get()
    with serving(
        lambda server: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(recorder, server),
        SERVICE_NAME,
        POLICY,
        jwt=JWT,
    ) as channel:
        stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        auth = ("authorization", f"Bearer {token}")
        request = grid_pb2.LocateGridRequest(lat=40.75, lon=-73.98)
        stub.LocateGrid(request, metadata=(auth, ("traceparent", TRACEPARENT)), timeout=5)
        stub.LocateGrid(request, metadata=(auth,), timeout=5)
    assert not any(span.is_recording() for span in recorder.spans)
    continued, started = (span.get_span_context() for span in recorder.spans)
    assert continued.trace_id == TRACE_ID
    assert continued.span_id != 0x00F067AA0BA902B7  # a span of its own under the caller's
    assert started.is_valid and started.trace_id != TRACE_ID


def test_with_an_exporter_opentelemetrys_interceptor_continues_the_trace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tracing, "_exporting", True)
    recorder = Recorder()
    token = ServiceToken(JWT, "dispatch").get()
    with serving(
        lambda server: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(recorder, server),
        SERVICE_NAME,
        POLICY,
        jwt=JWT,
    ) as channel:
        grid_pb2_grpc.GridRegistryServiceStub(channel).LocateGrid(
            grid_pb2.LocateGridRequest(lat=40.75, lon=-73.98),
            metadata=(("authorization", f"Bearer {token}"), ("traceparent", TRACEPARENT)),
            timeout=5,
        )
    (span,) = recorder.spans
    assert span.get_span_context().trace_id == TRACE_ID
