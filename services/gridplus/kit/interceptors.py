"""One server interceptor for every service: the caller's trace, authentication and role policy, RED
metrics, and the mapping of domain errors to gRPC status codes (with google.rpc details)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import server_interceptor

from gridplus.kit import metrics, tracing
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
    """The caller's trace, authentication and role policy, RED metrics and error mapping, in one
    interceptor and one wrapper per call.

    gRPC runs every interceptor's intercept_service for every call on the server's one polling
    thread, under the GIL the handlers need too; so the wrapped handler of a method is built once
    (its labels, policy, public flag and metric series looked up then) and reused while the
    server hands out the same handler for that method.

    Tracing: while spans are exported (tracing.exporting()), OpenTelemetry's server interceptor
    records a span per call around the kit's wrapper. Otherwise that span would be built and
    thrown away on every call (~13% of grid-registry's CPU under LocateGrid load in the issue-13
    profile): the method runs under a non-recording span continuing the caller's traceparent
    (tracing.continued_from), so its log lines and the events it writes carry the caller's trace
    id either way."""

    def __init__(self, verifier: TokenVerifier, policy: AuthPolicy) -> None:
        self._verifier = verifier
        self._policy = policy
        self._recording = server_interceptor()
        self._methods: dict[str, _MethodHandlers] = {}

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        if tracing.exporting():
            return self._recording.intercept_service(
                lambda recorded: self._handler(continuation(recorded), recorded, traced=True),
                details,
            )
        return self._handler(continuation(details), details, traced=False)

    def _handler(
        self, handler: grpc.RpcMethodHandler | None, details: grpc.HandlerCallDetails, traced: bool
    ) -> grpc.RpcMethodHandler | None:
        """`traced`: OpenTelemetry records the span; else the wrapper continues the trace."""
        if handler is None:
            return None
        method: str = details.method  # type: ignore[attr-defined]
        held = self._methods.get(method)
        if held is None or held.original is not handler:
            # Registered handlers are the same object on every call; a generic handler that
            # builds a new one per call is wrapped again (and still correct).
            held = _MethodHandlers(handler, _Guard(method, self._verifier, self._policy))
            self._methods[method] = held
        return held.recorded if traced else held.continuing


class _Guard:
    """One method's per-call work: authorize, bind the principal, map errors, count the call."""

    def __init__(self, method: str, verifier: TokenVerifier, policy: AuthPolicy) -> None:
        self.method = method
        self._verifier = verifier
        self._public = method.startswith(PUBLIC_PREFIXES)
        self._allowed = policy.get(method)
        grpc_service, _, self._grpc_method = method.lstrip("/").partition("/")
        self._labels = (grpc_service, self._grpc_method)
        # prometheus_client's labels() hashes and locks on every lookup: each series once.
        self._latency = metrics.GRPC_LATENCY.labels(*self._labels)
        self._handled: dict[grpc.StatusCode, Any] = {}

    def unary(self, behavior: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            token = None
            try:
                token = bind_principal(self._authorize(context))
                return behavior(request, context)
            except Exception as exc:
                _abort(context, exc)
            finally:
                if token is not None:
                    reset_principal(token)
                self._observe(context, started)

        return guarded

    def streaming(self, behavior: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            started = time.perf_counter()
            token = None
            try:
                token = bind_principal(self._authorize(context))
                yield from behavior(request, context)
            except Exception as exc:
                _abort(context, exc)
            finally:
                if token is not None:
                    reset_principal(token)
                self._observe(context, started)

        return guarded

    def _authorize(self, context: grpc.ServicerContext) -> Principal | None:
        if self._public:
            return None
        header = _metadata_value(context, "authorization", last=True)
        # The peer is looked up only for a token not yet verified or a refusal to log.
        principal = self._verifier.already_verified(header)
        if principal is None:
            origin = RequestOrigin("grpc", self.method, context.peer())
            principal = self._verifier.verify_authorization(header, origin=origin)
        if self._allowed is None or principal.role not in self._allowed:
            # A valid token knocking on methods its role may not call is probing too.
            origin = RequestOrigin("grpc", self.method, context.peer())
            record_refusal(Refusal.ROLE_NOT_ALLOWED, origin, principal.subject)
            raise PermissionDenied(f"role {principal.role.value} may not call {self._grpc_method}")
        return principal

    def _observe(self, context: grpc.ServicerContext, started: float) -> None:
        code = context.code() or grpc.StatusCode.OK  # type: ignore[attr-defined]
        handled = self._handled.get(code)
        if handled is None:
            handled = self._handled[code] = metrics.GRPC_HANDLED.labels(*self._labels, code.name)
        handled.inc()
        self._latency.observe(time.perf_counter() - started)


class _MethodHandlers:
    """A method's handler as the server registered it, wrapped twice: `recorded` runs inside
    OpenTelemetry's span, `continuing` continues the caller's trace itself."""

    def __init__(self, original: grpc.RpcMethodHandler, guard: _Guard) -> None:
        self.original = original
        self.recorded = rewrap_handler(original, guard.unary, guard.streaming)
        self.continuing = rewrap_handler(
            original, _continuing_unary(guard), _continuing_streaming(guard)
        )


def _continuing_unary(guard: _Guard) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(behavior: Callable[..., Any]) -> Callable[..., Any]:
        guarded = guard.unary(behavior)

        def continuing(request: Any, context: grpc.ServicerContext) -> Any:
            with tracing.continued_from(_metadata_value(context, "traceparent"), guard.method):
                return guarded(request, context)

        return continuing

    return wrap


def _continuing_streaming(
    guard: _Guard,
) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]]:
    def wrap(behavior: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        guarded = guard.streaming(behavior)

        def continuing(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            with tracing.continued_from(_metadata_value(context, "traceparent"), guard.method):
                yield from guarded(request, context)

        return continuing

    return wrap


def _metadata_value(context: grpc.ServicerContext, key: str, *, last: bool = False) -> str | None:
    """The first (or last) value of `key` in the call's metadata."""
    found = None
    for name, value in context.invocation_metadata() or ():
        if name == key:
            if not last:
                return str(value)
            found = str(value)
    return found


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
