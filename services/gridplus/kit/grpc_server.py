"""gRPC server bootstrap: health, reflection, tracing, metrics, auth and error mapping, the same
for all five services.

Connections end after a maximum age (MAX_CONNECTION_AGE_SECONDS, with some jitter gRPC adds): the
client then reconnects and re-resolves the replicas (kit/grpc_client.py), so a long-lived channel
reaches replicas added since it opened. Calls running on an old connection finish on it (no
grace limit: a watch stream is not cut). Clients may ping idle connections every
MIN_CLIENT_PING_SECONDS to find dead peers.

Tracing, authentication, metrics and error mapping are one interceptor (kit/interceptors.py
KitServerInterceptor): with an exporter configured, a recorded span per call; without one, a
non-recording continuation of the caller's trace."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gridplus.kit.auth import TokenVerifier
from gridplus.kit.config import JwtSettings
from gridplus.kit.interceptors import AuthPolicy, KitServerInterceptor

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
            interceptors=[KitServerInterceptor(TokenVerifier(jwt), policy)],
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
