"""gRPC stubs of the five services that speak for the signed-in user, and what their refusals
mean on a page.

One channel per service for the whole process (balanced over every replica, kit/grpc_client.py);
per request, `stubs()` wraps those channels with the user's `authorization: Bearer …` metadata.
The console has no token of its own: every call is the user's, so the services decide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from flask import current_app
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.dispatch.v1 import dispatch_pb2_grpc, visits_pb2_grpc
from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.api.grid.v1 import grid_pb2_grpc, households_pb2_grpc
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.console.session import current_user
from gridplus.kit.grpc_client import channel_options, grpc_target

# Every call has a deadline; a page that waits longer than this has failed anyway.
DEADLINE_SECONDS = 5.0


@dataclass(frozen=True)
class ServiceStubs:
    """The five services' stubs for one signed-in user."""

    grid: grid_pb2_grpc.GridRegistryServiceStub
    petition: petition_pb2_grpc.PetitionServiceStub
    dispatch: dispatch_pb2_grpc.DispatchServiceStub
    notification: notification_pb2_grpc.NotificationServiceStub
    evaluation: evaluation_pb2_grpc.EvaluationServiceStub
    # Second services on the same servers: grid-registry's households, dispatch's visits.
    households: households_pb2_grpc.HouseholdServiceStub
    visits: visits_pb2_grpc.VisitServiceStub


# token -> stubs. create_app(stubs=...) takes one (tests may point it elsewhere).
StubFactory = Callable[[str], ServiceStubs]


class _Bearer(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """The user's token on every call, and a deadline when the caller gave none."""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details: Any) -> Any:
        metadata = [*(details.metadata or []), self._header]
        timeout = details.timeout if details.timeout is not None else DEADLINE_SECONDS
        return details._replace(metadata=metadata, timeout=timeout)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


class Channels:
    """One channel per service, opened at start, closed at shutdown."""

    def __init__(self, addresses: Mapping[str, str]) -> None:
        self._channels = {
            package: grpc.insecure_channel(grpc_target(address), options=channel_options())
            for package, address in addresses.items()
        }

    def stubs_for(self, token: str) -> ServiceStubs:
        bearer = _Bearer(token)

        def channel(package: str) -> grpc.Channel:
            return grpc.intercept_channel(self._channels[package], bearer)

        return ServiceStubs(
            grid=grid_pb2_grpc.GridRegistryServiceStub(channel("grid_registry")),
            petition=petition_pb2_grpc.PetitionServiceStub(channel("petition")),
            dispatch=dispatch_pb2_grpc.DispatchServiceStub(channel("dispatch")),
            notification=notification_pb2_grpc.NotificationServiceStub(channel("notification")),
            evaluation=evaluation_pb2_grpc.EvaluationServiceStub(channel("evaluation")),
            households=households_pb2_grpc.HouseholdServiceStub(channel("grid_registry")),
            visits=visits_pb2_grpc.VisitServiceStub(channel("dispatch")),
        )

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


STUBS_KEY = "gridplus.console.stubs"


def stubs() -> ServiceStubs:
    """The signed-in user's stubs (a view decorated with session.requires has a user)."""
    user = current_user()
    if user is None:
        raise RuntimeError("stubs() needs a signed-in user: decorate the view with @requires")
    factory: StubFactory = current_app.extensions[STUBS_KEY]
    return factory(user.token)


# ---- refusals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRefusal:
    """A service's answer other than OK, as a page shows it."""

    code: str  # grpc.StatusCode name
    message: str  # the service's own words (English)
    fields: dict[str, str] = field(default_factory=dict)  # INVALID_ARGUMENT: field -> message

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self.code, 502)

    @property
    def message_key(self) -> str:
        """The i18n key of what the page says (common.<key>)."""
        return _MESSAGE_KEYS.get(self.code, "common.error.failed")


_HTTP_STATUS = {
    "NOT_FOUND": 404,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 409,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "RESOURCE_EXHAUSTED": 429,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
_MESSAGE_KEYS = {
    "NOT_FOUND": "common.error.not_found",
    "PERMISSION_DENIED": "common.error.refused",
    "UNAUTHENTICATED": "common.error.signed_out",
    "INVALID_ARGUMENT": "common.error.invalid",
    "FAILED_PRECONDITION": "common.error.precondition",
    "ALREADY_EXISTS": "common.error.precondition",
    "ABORTED": "common.error.precondition",
    "RESOURCE_EXHAUSTED": "common.error.busy",
    "UNAVAILABLE": "common.error.unavailable",
    "DEADLINE_EXCEEDED": "common.error.unavailable",
}


def refusal_of(error: grpc.RpcError) -> CallRefusal:
    if not isinstance(error, grpc.Call):
        return CallRefusal("UNKNOWN", str(error))
    code = error.code()
    return CallRefusal(code.name, error.details() or "", _field_messages(error))


def _field_messages(error: grpc.Call) -> dict[str, str]:
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        return {}
    found: dict[str, str] = {}
    for detail in status.details if status is not None else []:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            for violation in bad_request.field_violations:
                found[violation.field] = violation.description
    return found
