"""Notification on a migrated database, behind a real in-process kit gRPC server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from sqlalchemy import Engine

from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import SessionFactory, create_database_engine, create_session_factory
from gridplus.kit.grpc_server import GrpcServer
from gridplus.kit.migrations import migrate
from gridplus.notification.api.grpc import POLICY, SERVICE_NAME, NotificationServicer
from tests.conftest import JWT_SECRET

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/notification/storage/alembic"
JWT = JwtSettings(JWT_SECRET, "gridplus")

Metadata = list[tuple[str, str]]


def as_caller(subject: str, role: Role = Role.GRID_WORKER) -> Metadata:
    return [("authorization", f"Bearer {mint_token(JWT, subject=subject, role=role)}")]


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: SessionFactory


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    yield Store(engine, create_session_factory(engine))
    engine.dispose()


@pytest.fixture
def inbox_api(store: Store) -> Iterator[notification_pb2_grpc.NotificationServiceStub]:
    servicer = NotificationServicer(store.sessions, SystemClock())

    def register(server: grpc.Server) -> None:
        notification_pb2_grpc.add_NotificationServiceServicer_to_server(servicer, server)

    server = GrpcServer(
        port=0,
        host="127.0.0.1",
        jwt=JWT,
        policy=POLICY,
        registrations=[register],
        service_names=[SERVICE_NAME],
        max_workers=4,
    )
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield notification_pb2_grpc.NotificationServiceStub(channel)
    finally:
        channel.close()
        server.stop(0).wait(5)
