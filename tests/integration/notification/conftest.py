"""Notification on a migrated database, behind a real in-process kit gRPC server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import JwtSettings
from gridplus.notification.api.grpc import POLICY, SERVICE_NAME, NotificationServicer
from tests.conftest import JWT_SECRET
from tests.support.grpc import serving
from tests.support.store import MigratedStore, migrated_store

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/notification/storage/alembic"
JWT = JwtSettings(JWT_SECRET, "gridplus")

Metadata = list[tuple[str, str]]


def as_caller(subject: str, role: Role = Role.GRID_WORKER) -> Metadata:
    return [("authorization", f"Bearer {mint_token(JWT, subject=subject, role=role)}")]


Store = MigratedStore


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with migrated_store(database_url, MIGRATIONS) as migrated:
        yield migrated


@pytest.fixture
def inbox_api(store: Store) -> Iterator[notification_pb2_grpc.NotificationServiceStub]:
    servicer = NotificationServicer(store.sessions, SystemClock())

    def register(server: grpc.Server) -> None:
        notification_pb2_grpc.add_NotificationServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield notification_pb2_grpc.NotificationServiceStub(channel)
