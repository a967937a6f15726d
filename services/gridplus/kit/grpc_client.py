"""Channels to other Grid+ services: the service's own token, tracing, retries on UNAVAILABLE.

Every call still passes its own deadline (`timeout=`); DEFAULT_DEADLINE_SECONDS is the usual one.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from opentelemetry.instrumentation.grpc import client_interceptor
from opentelemetry.instrumentation.grpc.grpcext import intercept_channel as traced_channel

from gridplus.kit.auth import ServiceToken

DEFAULT_DEADLINE_SECONDS = 5.0

_RETRY_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds the token on plaintext channels, where gRPC refuses call credentials."""

    def __init__(self, token: ServiceToken) -> None:
        self._token = token

    def _with_token(self, details: Any) -> Any:
        metadata = list(details.metadata or [])
        metadata.append(("authorization", f"Bearer {self._token.get()}"))
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)


def service_channel(address: str, token: ServiceToken) -> grpc.Channel:
    channel = grpc.insecure_channel(
        address,
        options=[("grpc.service_config", _RETRY_CONFIG), ("grpc.enable_retries", 1)],
    )
    # OpenTelemetry's client interceptor is its own kind (grpcext): grpc.intercept_channel refuses
    # it, so it wraps the channel through its own helper, outermost.
    authorized = grpc.intercept_channel(channel, _BearerInterceptor(token))
    return traced_channel(authorized, client_interceptor())
