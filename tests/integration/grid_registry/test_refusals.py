"""Issue 18, the small ones, through a real gRPC server: a token valid for longer than a day is
refused with a message saying so, and each refused call leaves one JSON log line naming the
reason, the method and the peer, never the token."""

from __future__ import annotations

import json
import logging
import time

import grpc
import jwt
import pytest

from gridplus.api.grid.v1 import grid_pb2
from gridplus.kit.auth import ALGORITHM
from gridplus.kit.logging import JsonFormatter
from tests.integration.grid_registry.registry import JWT, RESIDENT, Metadata, Running

pytestmark = pytest.mark.integration

LIST_MEMBERS = "/gridplus.grid.v1.GridRegistryService/ListMembers"
DAY = 86400


def worker_token(lifetime: int, secret: str = JWT.secret) -> str:
    now = int(time.time())
    claims = {
        "sub": "w-MN0502-1",
        "role": "grid_worker",
        "grids": ["MN0502"],
        "iss": "gridplus",
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def list_members(registry: Running, metadata: Metadata) -> grid_pb2.ListMembersResponse:
    response: grid_pb2.ListMembersResponse = registry.stub.ListMembers(
        grid_pb2.ListMembersRequest(grid_code="MN0502"), metadata=metadata, timeout=5
    )
    return response


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = JsonFormatter("grid_registry")
    return [
        formatter.format(r)
        for r in caplog.records
        if r.name == "gridplus.kit.auth" and r.getMessage() == "call refused"
    ]


def test_a_two_day_token_is_refused_and_a_one_hour_token_accepted(registry: Running) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        list_members(registry, (("authorization", f"Bearer {worker_token(2 * DAY)}"),))
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "longer than the 86400 s this deployment accepts" in refused.value.details()
    accepted = list_members(registry, (("authorization", f"Bearer {worker_token(3600)}"),))
    assert accepted.members


def test_a_forged_token_leaves_one_log_line_without_the_token(
    registry: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    forged = worker_token(3600, secret="a-prober-guessing-the-secret-0123456789")
    with pytest.raises(grpc.RpcError) as refused:
        list_members(registry, (("authorization", f"Bearer {forged}"),))
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    [line] = refusals(caplog)
    entry = json.loads(line)
    assert (entry["reason"], entry["channel"], entry["target"]) == (
        "bad_signature",
        "grpc",
        LIST_MEMBERS,
    )
    assert "127.0.0.1" in entry["peer"]
    assert forged not in line and forged.split(".")[1] not in line
    assert "subject" not in entry


def test_a_role_knocking_on_a_closed_method_is_logged_with_its_subject(
    registry: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.auth")
    with pytest.raises(grpc.RpcError) as refused:
        list_members(registry, RESIDENT)
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    [line] = refusals(caplog)
    entry = json.loads(line)
    assert (entry["reason"], entry["subject"], entry["target"]) == (
        "role_not_allowed",
        "r-1",
        LIST_MEMBERS,
    )
    assert RESIDENT[0][1].removeprefix("Bearer ") not in line
