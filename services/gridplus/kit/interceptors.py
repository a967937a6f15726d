"""One server interceptor for every service: authentication and role policy, RED metrics, and the
mapping of domain errors to gRPC status codes (with google.rpc details)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from gridplus.kit import metrics
from gridplus.kit.auth import (
    Principal,
    Refusal,
    RequestOrigin,
    Role,
    TokenVerifier,
    bind_principal,
    count_refusals_with,
    record_refusal,
    reset_principal,
)
from gridplus.kit.errors import GridPlusError, InvalidArgument, PermissionDenied

log = logging.getLogger(__name__)

# Full method name ("/pkg.Service/Method") -> roles that may call it. Methods absent from the
# policy are refused: a new RPC is closed until someone decides who may call it.
AuthPolicy = Mapping[str, frozenset[Role]]

PUBLIC_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


def _count_refusal(channel: str, reason: Refusal) -> None:
    metrics.AUTH_REFUSED.labels(channel, reason.value).inc()


# Every service imports this module for its gRPC server, so refusals on its HTTP side (petition)
# are counted too.
count_refusals_with(_count_refusal)


def service_policy(service_full_name: str, rules: Mapping[str, frozenset[Role]]) -> AuthPolicy:
    """{"LocateGrid": roles} for service gridplus.grid.v1.GridRegistryService -> full names."""
    return {f"/{service_full_name}/{method}": roles for method, roles in rules.items()}


def status_for(error: GridPlusError) -> grpc.Status:
    details: list[any_pb2.Any] = []
    if isinstance(error, InvalidArgument):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.violations
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad_request)
        details.append(packed)
    status = status_pb2.Status(
        code=grpc.StatusCode[error.grpc_code].value[0], message=error.message, details=details
    )
    return rpc_status.to_status(status)


class KitServerInterceptor(grpc.ServerInterceptor):
    def __init__(self, verifier: TokenVerifier, policy: AuthPolicy) -> None:
        self._verifier = verifier
        self._policy = policy

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        method: str = details.method  # type: ignore[attr-defined]
        public = method.startswith(PUBLIC_PREFIXES)
        grpc_service, _, grpc_method = method.lstrip("/").partition("/")
        labels = (grpc_service, grpc_method)

        def authorize(context: grpc.ServicerContext) -> Principal | None:
            if public:
                return None
            allowed = self._policy.get(method)
            metadata = dict(context.invocation_metadata())
            header = metadata.get("authorization")
            # The peer is looked up only for a token not yet verified or a refusal to log.
            principal = self._verifier.already_verified(header)
            if principal is None:
                origin = RequestOrigin("grpc", method, context.peer())
                principal = self._verifier.verify_authorization(header, origin=origin)
            if allowed is None or principal.role not in allowed:
                # A valid token knocking on methods its role may not call is probing too.
                origin = RequestOrigin("grpc", method, context.peer())
                record_refusal(Refusal.ROLE_NOT_ALLOWED, origin, principal.subject)
                raise PermissionDenied(f"role {principal.role.value} may not call {grpc_method}")
            return principal

        def unary(behavior: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
                started = time.perf_counter()
                token = None
                try:
                    token = bind_principal(authorize(context))
                    return behavior(request, context)
                except Exception as exc:
                    _abort(context, exc)
                finally:
                    if token is not None:
                        reset_principal(token)
                    _observe(labels, context, started)

            return wrapped

        def streaming(behavior: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                started = time.perf_counter()
                token = None
                try:
                    token = bind_principal(authorize(context))
                    yield from behavior(request, context)
                except Exception as exc:
                    _abort(context, exc)
                finally:
                    if token is not None:
                        reset_principal(token)
                    _observe(labels, context, started)

            return wrapped

        return rewrap_handler(handler, unary, streaming)


def rewrap_handler(
    handler: grpc.RpcMethodHandler,
    unary: Callable[[Callable[..., Any]], Callable[..., Any]],
    streaming: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> grpc.RpcMethodHandler:
    codec = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary(handler.unary_unary), **codec)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(unary(handler.stream_unary), **codec)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(streaming(handler.unary_stream), **codec)
    return grpc.stream_stream_rpc_method_handler(streaming(handler.stream_stream), **codec)


def _abort(context: grpc.ServicerContext, exc: Exception) -> None:
    if isinstance(exc, GridPlusError):
        context.abort_with_status(status_for(exc))
    if _already_aborted(context):
        raise exc  # the servicer chose its own status with context.abort()
    if isinstance(exc, grpc.RpcError) and not context.is_active():
        # The client went away (cancelled, deadline passed) while we read its stream: nobody
        # waits for an answer and nothing failed here (reflection clients end streams so).
        log.debug("call ended by the client", extra={"error": repr(exc)})
        return
    log.exception("unhandled error in gRPC method")
    context.abort_with_status(
        rpc_status.to_status(status_pb2.Status(code=code_pb2.INTERNAL, message="internal error"))
    )


def _already_aborted(context: grpc.ServicerContext) -> bool:
    code = context.code()  # type: ignore[attr-defined]
    return code is not None and code != grpc.StatusCode.OK


def _observe(labels: tuple[str, str], context: grpc.ServicerContext, started: float) -> None:
    code = context.code() or grpc.StatusCode.OK  # type: ignore[attr-defined]
    metrics.GRPC_HANDLED.labels(*labels, code.name).inc()
    metrics.GRPC_LATENCY.labels(*labels).observe(time.perf_counter() - started)
