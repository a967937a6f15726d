"""gRPC server bootstrap: health, reflection, tracing, metrics, auth and error mapping, the same
for all five services.

Connections end after a maximum age (MAX_CONNECTION_AGE_SECONDS, with some jitter gRPC adds): the
client then reconnects and re-resolves the replicas (kit/grpc_client.py), so a long-lived channel
reaches replicas added since it opened. Calls running on an old connection finish on it (no
grace limit: a watch stream is not cut). Clients may ping idle connections every
MIN_CLIENT_PING_SECONDS to find dead peers.

Tracing: with an exporter configured, OpenTelemetry's server interceptor records a span per call.
Without one (the default), that span would be built and thrown away on every call (its
interceptor was ~13% of grid-registry's CPU under LocateGrid load in the issue-13 profile, with a
second `context.peer()` per call): the method then runs under a non-recording span continuing the
caller's traceparent instead (kit/tracing.py `continued_from`), so its log lines and the events it
writes carry the caller's trace id either way."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import server_interceptor

from gridplus.kit import tracing
from gridplus.kit.auth import TokenVerifier
from gridplus.kit.config import JwtSettings
from gridplus.kit.interceptors import AuthPolicy, KitServerInterceptor, rewrap_handler

Registration = Callable[[grpc.Server], None]

MAX_CONNECTION_AGE_SECONDS = 300.0
MIN_CLIENT_PING_SECONDS = 10.0


class GrpcServer:
    def __init__(
        self,
        *,
        port: int,
        jwt: JwtSettings,
        policy: AuthPolicy,
        registrations: Sequence[Registration],
        service_names: Sequence[str],
        max_workers: int = 32,
        host: str = "0.0.0.0",
        max_connection_age_seconds: float = MAX_CONNECTION_AGE_SECONDS,
    ) -> None:
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
            interceptors=[TracingInterceptor(), KitServerInterceptor(TokenVerifier(jwt), policy)],
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_connection_age_ms", int(max_connection_age_seconds * 1000)),
                ("grpc.keepalive_permit_without_calls", 1),
                (
                    "grpc.http2.min_ping_interval_without_data_ms",
                    int(MIN_CLIENT_PING_SECONDS * 1000),
                ),
            ],
        )
        for register in registrations:
            register(self._server)
        self._health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        self._service_names = list(service_names)
        reflection.enable_server_reflection(
            [*self._service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"cannot listen for gRPC on {host}:{port}")

    def start(self) -> None:
        self._server.start()

    def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ["", *self._service_names]:
            self._health.set(name, status)

    def stop(self, grace_seconds: float) -> threading.Event:
        """Refuse new calls, let running ones finish for up to `grace_seconds`."""
        self.set_serving(False)
        return self._server.stop(grace_seconds)


class TracingInterceptor(grpc.ServerInterceptor):
    """OpenTelemetry's server span per call while spans are exported; otherwise only the caller's
    trace continued, unrecorded (see the module's docstring)."""

    def __init__(self) -> None:
        self._recording = server_interceptor()

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        if tracing.exporting():
            return self._recording.intercept_service(continuation, details)
        handler = continuation(details)
        if handler is None:
            return None
        method: str = details.method  # type: ignore[attr-defined]
        traceparent = next(
            (
                value
                for key, value in details.invocation_metadata  # type: ignore[attr-defined]
                if key == "traceparent"
            ),
            None,
        )

        def unary(behavior: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
                with tracing.continued_from(traceparent, method):
                    return behavior(request, context)

            return wrapped

        def streaming(behavior: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                with tracing.continued_from(traceparent, method):
                    yield from behavior(request, context)

            return wrapped

        return rewrap_handler(handler, unary, streaming)
