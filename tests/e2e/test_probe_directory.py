"""Issue 18 against the running platform (the processes `make run` starts, with its dev tokens):
the staff directory gives contacts only where the work needs them, tokens valid for more than a
day are refused, and each refusal leaves a log line (without the token) in the service's log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import grpc
import jwt
import pytest
import requests

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.kit.auth import ALGORITHM, Role, mint_token
from gridplus.kit.config import JwtSettings
from tests.e2e.client import channel, grpc_metadata
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

Metadata = list[tuple[str, str]]


def directory(stack: LocalStack) -> grid_pb2_grpc.GridRegistryServiceStub:
    return grid_pb2_grpc.GridRegistryServiceStub(channel(stack, "grid_registry"))


def bearer(token: str) -> Metadata:
    return [("authorization", f"Bearer {token}")]


def minted(stack: LocalStack, role: Role, subject: str, department: str | None = None) -> str:
    """A token from the stack's own secret, for a caller the dev tokens do not cover."""
    jwt_settings = JwtSettings(stack.credentials["jwt_secret"], "gridplus")
    return mint_token(jwt_settings, subject=subject, role=role, department=department)


def contacts(members: list[grid_pb2.Member]) -> set[str]:
    return {m.person_id for m in members if m.email or m.phone}


def chain(stack: LocalStack, grid_code: str, metadata: Metadata) -> list[grid_pb2.Member]:
    levels = (
        directory(stack)
        .GetChain(grid_pb2.GetChainRequest(grid_code=grid_code), metadata=metadata, timeout=5)
        .levels
    )
    return [member for level in levels for member in level.members]


def refusals(log: Path, since: int) -> list[dict[str, object]]:
    """The `call refused` JSON lines a service wrote after byte `since` of its log."""
    with log.open("rb") as handle:
        handle.seek(since)
        lines = handle.read().decode().splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    return [entry for entry in entries if entry.get("msg") == "call refused"]


def eventually_refused(log: Path, since: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while not (found := refusals(log, since)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_a_grid_worker_reads_only_the_directory_of_their_own_line(stack: LocalStack) -> None:
    """The probe: the dev grid worker (w-MN0502-1, MN0502) lists BK0602's people. Issue 17:
    another grid's directory answers NOT_FOUND, as an unknown grid."""
    worker = grpc_metadata(stack, Role.GRID_WORKER)
    with pytest.raises(grpc.RpcError) as hidden:
        directory(stack).ListMembers(
            grid_pb2.ListMembersRequest(grid_code="BK0602"), metadata=worker, timeout=5
        )
    assert hidden.value.code() is grpc.StatusCode.NOT_FOUND
    own = list(
        directory(stack)
        .ListMembers(grid_pb2.ListMembersRequest(grid_code="MN0502"), metadata=worker, timeout=5)
        .members
    )
    assert contacts(own) == {m.person_id for m in own}


def test_department_staff_and_inspectors_get_names_not_other_peoples_contacts(
    stack: LocalStack,
) -> None:
    nypd = bearer(minted(stack, Role.DEPARTMENT_STAFF, "nypd-staff-1", department="NYPD"))
    assert contacts(chain(stack, "BK0602", nypd)) == {"head-nypd"}
    # Dev tokens: the department staff's is DOT's (tools/stack.py DEV_DEPARTMENTS), the
    # inspector's has no scope.
    for role, own in ((Role.DEPARTMENT_STAFF, {"head-dot"}), (Role.INSPECTOR, set())):
        people = chain(stack, "BK0602", grpc_metadata(stack, role))
        assert len(people) > 40 and contacts(people) == own
    admin = chain(stack, "BK0602", grpc_metadata(stack, Role.ADMIN))
    assert contacts(admin) == {m.person_id for m in admin}


def test_a_two_day_token_is_refused_and_logged_without_the_token(stack: LocalStack) -> None:
    log = stack.var_dir / "logs" / "grid_registry.log"
    since = log.stat().st_size
    now = int(time.time())
    claims = {"sub": "admin-demo", "role": "admin", "iss": "gridplus", "iat": now}
    long_lived = jwt.encode(
        {**claims, "exp": now + 2 * 86400}, stack.credentials["jwt_secret"], algorithm=ALGORITHM
    )
    with pytest.raises(grpc.RpcError) as refused:
        directory(stack).GetGrid(
            grid_pb2.GetGridRequest(code="MN0502"), metadata=bearer(long_lived), timeout=5
        )
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "longer than the 86400 s" in refused.value.details()
    [entry] = eventually_refused(log, since)
    assert (entry["reason"], entry["channel"], entry["subject"]) == (
        "lifetime_too_long",
        "grpc",
        "admin-demo",
    )
    assert entry["target"] == "/gridplus.grid.v1.GridRegistryService/GetGrid"
    assert long_lived not in log.read_text()


def test_a_refused_http_call_is_logged_by_petition(stack: LocalStack) -> None:
    log = stack.var_dir / "logs" / "petition.log"
    since = log.stat().st_size
    forged = jwt.encode(
        {"sub": "admin-demo", "role": "admin", "iss": "gridplus", "exp": int(time.time()) + 60},
        "a-prober-guessing-the-secret-0123456789",
        algorithm=ALGORITHM,
    )
    answer = requests.get(
        f"{stack.http_url}/api/v1/petitions",
        headers={"Authorization": f"Bearer {forged}"},
        timeout=10,
    )
    assert answer.status_code == 401
    [entry] = eventually_refused(log, since)
    assert (entry["reason"], entry["channel"], entry["target"]) == (
        "bad_signature",
        "http",
        "GET /api/v1/petitions",
    )
    assert entry["peer"] == "127.0.0.1" and "subject" not in entry
    assert forged not in log.read_text()
