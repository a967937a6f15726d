"""A service's servicer behind the real kit GrpcServer on loopback, for in-process gRPC tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from gridplus.kit.config import JwtSettings
from gridplus.kit.grpc_server import GrpcServer, Registration
from gridplus.kit.interceptors import AuthPolicy


def start_server(
    register: Registration,
    service_name: str,
    policy: AuthPolicy,
    *,
    jwt: JwtSettings,
    port: int = 0,
) -> GrpcServer:
    """Started and SERVING on 127.0.0.1:`port` (0: any free one, see `.port`); caller stops it."""
    server = GrpcServer(
        port=port,
        host="127.0.0.1",
        jwt=jwt,
        policy=policy,
        registrations=[register],
        service_names=[service_name],
    )
    server.start()
    server.set_serving(True)
    return server


@contextmanager
def serving(
    register: Registration,
    service_name: str,
    policy: AuthPolicy,
    *,
    jwt: JwtSettings,
    grace_seconds: float = 0,
) -> Iterator[grpc.Channel]:
    """A channel to a started server on a free port; both are closed when the block ends."""
    server = start_server(register, service_name, policy, jwt=jwt)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield channel
    finally:
        channel.close()
        server.stop(grace_seconds).wait(5)
