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
