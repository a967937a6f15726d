"""What a resident's app and a department's tool do: HTTP to petition, gRPC to the others."""

from __future__ import annotations

import time
from typing import Any

import grpc
import requests

from gridplus.kit.auth import Role
from tools.stack import LocalStack

TIMES_SQUARE = {"lat": 40.758, "lon": -73.9855}  # NTA MN0502 Midtown-Times Square
ATLANTIC = {"lat": 40.45, "lon": -73.70}  # open sea, outside every grid


def submit(stack: LocalStack, body: dict[str, Any], role: Role = Role.RESIDENT) -> str:
    response = requests.post(
        f"{stack.http_url}/api/v1/petitions",
        json=body,
        headers={"Authorization": f"Bearer {stack.token(role)}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def get(stack: LocalStack, petition_id: str, role: Role = Role.RESIDENT) -> dict[str, Any]:
    response = requests.get(
        f"{stack.http_url}/api/v1/petitions/{petition_id}",
        headers={"Authorization": f"Bearer {stack.token(role)}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_for_status(
    stack: LocalStack, petition_id: str, status: str, timeout: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        petition = get(stack, petition_id)
        if petition["status"] == status:
            return petition
        if time.monotonic() > deadline:
            raise AssertionError(f"{petition_id} is {petition['status']}, not {status}")
        time.sleep(0.05)


def grpc_metadata(stack: LocalStack, role: Role = Role.ADMIN) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {stack.token(role)}")]


def channel(stack: LocalStack, package: str) -> grpc.Channel:
    return grpc.insecure_channel(f"127.0.0.1:{stack.ports.grpc[package]}")


# -- proactive work (issue 16): staff of one grid, polling, the raw event stream ---------------


def staff_metadata(
    stack: LocalStack, subject: str, role: Role, grids: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """A named person's own token (e.g. w-MN0502-1, a worker of MN0502), signed by the stack."""
    from gridplus.kit.auth import mint_token
    from gridplus.kit.config import JwtSettings

    jwt = JwtSettings(stack.credentials["jwt_secret"], "gridplus")
    token = mint_token(jwt, subject=subject, role=role, grid_codes=grids)
    return [("authorization", f"Bearer {token}")]


def eventually(check: Any, what: str, timeout: float = 20.0, every: float = 0.1) -> Any:
    """Poll until `check()` returns something truthy; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout}s; last: {value!r}"
        time.sleep(every)


def staff_petition(stack: LocalStack, petition_id: str) -> Any:
    """The petition as an admin reads it over gRPC; None while petition has not created it."""
    from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc

    stub = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    try:
        request = petition_pb2.GetPetitionRequest(id=petition_id)
        return stub.GetPetition(request, metadata=grpc_metadata(stack), timeout=5).petition
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.NOT_FOUND:
            return None
        raise


def raw_topics(stack: LocalStack) -> bytes:
    """Every record (key, value, headers) of every gridplus topic, as the broker holds it."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        bootstrap_servers=f"127.0.0.1:{stack.ports.broker}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        enable_auto_commit=False,
    )
    consumer.subscribe(topics=sorted(t for t in consumer.topics() if t.startswith("gridplus.")))
    chunks = [
        (record.key or b"") + (record.value or b"") + b"".join(v for _, v in record.headers)
        for record in consumer
    ]
    consumer.close()
    return b"".join(chunks)


def raw_files(stack: LocalStack, pattern: str) -> bytes:
    """The bytes of the stack's files matching `pattern` under its var dir (databases with their
    WAL, logs), as someone with a copy of the disk would read them."""
    return b"".join(path.read_bytes() for path in sorted(stack.var_dir.glob(pattern)))
