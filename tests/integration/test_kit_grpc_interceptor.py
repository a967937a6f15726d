"""The kit's one server interceptor (trace, auth, metrics, errors): every call is counted under its
own method and status code, and refused calls keep their codes, while each method's wrapper is
built once and reused (issue 13: the per-call wrapping ran on gRPC's polling thread)."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from prometheus_client import REGISTRY

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME
from gridplus.kit import tracing
from gridplus.kit.auth import Role, ServiceToken, TokenVerifier, mint_token
from gridplus.kit.config import JwtSettings
from gridplus.kit.errors import NotFound
from gridplus.kit.interceptors import KitServerInterceptor
from tests.conftest import JWT_SECRET
from tests.support.grpc import serving

JWT = JwtSettings(JWT_SECRET, "gridplus")
LOCATE = f"/{SERVICE_NAME}/LocateGrid"


class Registry(grid_pb2_grpc.GridRegistryServiceServicer):
    def LocateGrid(
        self, request: grid_pb2.LocateGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.LocateGridResponse:
        return grid_pb2.LocateGridResponse()

    def GetGrid(
        self, request: grid_pb2.GetGridRequest, context: grpc.ServicerContext
    ) -> grid_pb2.GetGridResponse:
        raise NotFound(f"no grid {request.code}")


def handled(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value(
        "gridplus_grpc_server_handled_total",
        {"grpc_service": SERVICE_NAME, "grpc_method": method, "grpc_code": code},
    )
    return value or 0.0


def timed(method: str) -> float:
    value = REGISTRY.get_sample_value(
        "gridplus_grpc_server_handling_seconds_count",
        {"grpc_service": SERVICE_NAME, "grpc_method": method},
    )
    return value or 0.0


def code_of(call: Callable[[], object]) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


@pytest.mark.parametrize("exporting", [False, True])
def test_each_call_is_counted_under_its_method_and_code(
    exporting: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracing, "_exporting", exporting)
    service = ("authorization", f"Bearer {ServiceToken(JWT, 'dispatch').get()}")
    resident = mint_token(JWT, subject="r-1", role=Role.RESIDENT)
    codes = [("LocateGrid", "OK"), ("LocateGrid", "UNAUTHENTICATED"), ("GetGrid", "NOT_FOUND")]
    codes.append(("GetGrid", "PERMISSION_DENIED"))
    before = {pair: handled(*pair) for pair in codes}
    timed_before = timed("LocateGrid"), timed("GetGrid")
    with serving(
        lambda server: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(Registry(), server),
        SERVICE_NAME,
        POLICY,
        jwt=JWT,
    ) as channel:
        stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        locate = grid_pb2.LocateGridRequest(lat=40.75, lon=-73.98)
        for _ in range(3):
            stub.LocateGrid(locate, metadata=(service,), timeout=5)
        missing = code_of(lambda: stub.LocateGrid(locate, timeout=5))
        unknown = code_of(
            lambda: stub.GetGrid(grid_pb2.GetGridRequest(code="ZZ"), metadata=(service,))
        )
        denied = code_of(
            lambda: stub.GetGrid(
                grid_pb2.GetGridRequest(code="ZZ"),
                metadata=(("authorization", f"Bearer {resident}"),),
            )
        )
    assert (missing, unknown, denied) == (
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.PERMISSION_DENIED,
    )
    counted = {pair: handled(*pair) - before[pair] for pair in codes}
    assert counted == {
        ("LocateGrid", "OK"): 3,
        ("LocateGrid", "UNAUTHENTICATED"): 1,
        ("GetGrid", "NOT_FOUND"): 1,
        ("GetGrid", "PERMISSION_DENIED"): 1,
    }
    assert (timed("LocateGrid") - timed_before[0], timed("GetGrid") - timed_before[1]) == (4, 2)


class Details:
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


def test_a_methods_wrapper_is_built_once_and_rebuilt_for_a_new_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tracing, "_exporting", False)
    interceptor = KitServerInterceptor(TokenVerifier(JWT), POLICY)
    first = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
    second = grpc.unary_unary_rpc_method_handler(lambda request, context: request)

    def intercept(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        wrapped: grpc.RpcMethodHandler = interceptor.intercept_service(
            lambda _details: handler,
            Details(LOCATE),  # type: ignore[arg-type]
        )
        return wrapped

    once = intercept(first)
    assert intercept(first) is once  # nothing built per call on gRPC's polling thread
    assert once.unary_unary is not first.unary_unary  # wrapped: auth, metrics, trace
    assert intercept(second) is not once  # a server handing out a new handler gets it wrapped
    assert interceptor.intercept_service(lambda _d: None, Details(LOCATE)) is None  # type: ignore[arg-type]
