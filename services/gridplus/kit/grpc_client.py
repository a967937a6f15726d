"""Channels to other Grid+ services: the service's own token, tracing, retries on UNAVAILABLE,
and calls spread over every replica.

Tracing: with an exporter configured (kit/tracing.py, before the channel is made: services do it
at start-up) every call gets OpenTelemetry's recorded client span; without one, the call only
carries the caller's trace context (W3C `traceparent` metadata), so the server continues the
trace as before without a client span built and thrown away per call (that was ~10% of a
consumer's CPU when its handlers call other services).

Every call still passes its own deadline (`timeout=`); DEFAULT_DEADLINE_SECONDS is the usual one.

An address (GRIDPLUS_<SVC>_ADDR) is one of
- `host:port`: resolved through DNS (`dns:///host:port`), every address the name has is used; in
  Kubernetes that is a headless Service, whose name resolves to one address per ready pod;
- `host1:port1,host2:port2,...` of IP literals (the local stack's replicas on loopback):
  `ipv4:...` (or `ipv6:[...]:port,...`), a fixed list;
- a gRPC target with its scheme (`dns:`, `ipv4:`, `ipv6:`, `unix:`), used as given.
The channel balances round robin over what the target resolves to (not gRPC's default pick-first,
which sends everything to the first address), so each call may go to any replica. DNS is
re-resolved when a connection closes (servers end connections after a maximum age, see
kit/grpc_server.py) and at most every DNS_MIN_RESOLUTION_MS, so added replicas get traffic.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import grpc
from opentelemetry.instrumentation.grpc import client_interceptor
from opentelemetry.instrumentation.grpc.grpcext import intercept_channel as traced_channel

from gridplus.kit.auth import ServiceToken
from gridplus.kit.tracing import current_traceparent, exporting

DEFAULT_DEADLINE_SECONDS = 5.0
DNS_MIN_RESOLUTION_MS = 5_000
# Pings on idle connections find a replica whose node vanished without closing its connections
# (the server allows this rate, kit/grpc_server.py); round robin then skips it.
KEEPALIVE_MS = 30_000
KEEPALIVE_TIMEOUT_MS = 10_000
# A replica that was down (a restarted pod, kill -9) is tried again at most this far apart; gRPC's
# own default grows to 120 s, so a replica back after a few seconds of failed connects could sit
# unused for minutes while its peers carry all the calls.
RECONNECT_INITIAL_BACKOFF_MS = 250
RECONNECT_MAX_BACKOFF_MS = 2_000
_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")

_SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
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
        ],
    }
)


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds the token on plaintext channels, where gRPC refuses call credentials, and the
    caller's traceparent when no client span does (`with_traceparent`)."""

    def __init__(self, token: ServiceToken, *, with_traceparent: bool) -> None:
        self._token = token
        self._with_traceparent = with_traceparent

    def _with_token(self, details: Any) -> Any:
        metadata = list(details.metadata or [])
        metadata.append(("authorization", f"Bearer {self._token.get()}"))
        if self._with_traceparent:
            traceparent = current_traceparent()
            if traceparent is not None:
                metadata.append(("traceparent", traceparent))
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)


def _ip_endpoint(part: str) -> tuple[str, str]:
    """'127.0.0.1:50051' -> ('ipv4', part); '[::1]:50051' -> ('ipv6', part)."""
    host, sep, port = part.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"{part!r} is not host:port")
    try:
        ip = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        raise ValueError(
            f"{part!r}: a list of addresses takes IP literals; give a name alone (DNS)"
        ) from None
    if ip.version == 6 and not host.startswith("["):
        raise ValueError(f"{part!r}: write an IPv6 address as [addr]:port")
    return f"ipv{ip.version}", part


def grpc_target(address: str) -> str:
    """The gRPC target for an address (see the module docstring); ValueError when malformed."""
    address = address.strip()
    if address.startswith(_SCHEMES):
        return address
    parts = [part.strip() for part in address.split(",")]
    if len(parts) == 1:
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"{address!r} is not host:port")
        return f"dns:///{address}"
    endpoints = [_ip_endpoint(part) for part in parts]
    schemes = {scheme for scheme, _ in endpoints}
    if len(schemes) != 1:
        raise ValueError(f"{address!r} mixes IPv4 and IPv6 addresses")
    return f"{schemes.pop()}:{','.join(part for _, part in endpoints)}"


def channel_options() -> list[tuple[str, Any]]:
    return [
        ("grpc.service_config", _SERVICE_CONFIG),
        # Only this service config: none looked up in DNS TXT records.
        ("grpc.service_config_disable_resolution", 1),
        ("grpc.enable_retries", 1),
        ("grpc.dns_min_time_between_resolutions_ms", DNS_MIN_RESOLUTION_MS),
        ("grpc.keepalive_time_ms", KEEPALIVE_MS),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        ("grpc.initial_reconnect_backoff_ms", RECONNECT_INITIAL_BACKOFF_MS),
        ("grpc.max_reconnect_backoff_ms", RECONNECT_MAX_BACKOFF_MS),
    ]


def service_channel(address: str, token: ServiceToken) -> grpc.Channel:
    """A channel to all replicas at `address`, balanced round robin."""
    channel = grpc.insecure_channel(grpc_target(address), options=channel_options())
    if not exporting():
        return grpc.intercept_channel(channel, _BearerInterceptor(token, with_traceparent=True))
    # OpenTelemetry's client interceptor is its own kind (grpcext): grpc.intercept_channel refuses
    # it, so it wraps the channel through its own helper, outermost.
    authorized = grpc.intercept_channel(channel, _BearerInterceptor(token, with_traceparent=False))
    return traced_channel(authorized, client_interceptor())
