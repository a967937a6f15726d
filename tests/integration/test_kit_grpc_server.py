"""What an operator or a department's developer meets first: reflection lists the services, and
doing so leaves no error in the service's log."""

from __future__ import annotations

import logging

import grpc
import pytest
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.kit.config import JwtSettings
from tests.conftest import JWT_SECRET
from tests.support.grpc import serving

SERVICE = grid_pb2.DESCRIPTOR.services_by_name["GridRegistryService"].full_name


def test_reflection_lists_and_describes_services_without_logging_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def register(server: grpc.Server) -> None:
        grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(
            grid_pb2_grpc.GridRegistryServiceServicer(), server
        )

    jwt = JwtSettings(secret=JWT_SECRET, issuer="gridplus")
    with caplog.at_level(logging.INFO), serving(register, SERVICE, {}, jwt=jwt) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = list(database.get_services())
        described = database.FindFileContainingSymbol(SERVICE)
    assert SERVICE in services
    assert "grpc.health.v1.Health" in services
    assert described.package == "gridplus.grid.v1"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
