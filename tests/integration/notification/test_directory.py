"""The gRPC recipient directory against older or absent dependencies: an older grid-registry or
petition (UNIMPLEMENTED) still lets people get their inbox; one that is down is a transient
failure the consumer retries."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.clock import ManualClock
from gridplus.kit.consumer import is_transient
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.kit.grpc_client import service_channel
from gridplus.notification.api.convert import received
from gridplus.notification.clients import GrpcDirectory
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.notices import Notifier
from tests.integration.notification.conftest import JWT, KEYS, Store, Stub, as_caller
from tests.integration.notification.servers import (
    GRID_POLICY,
    GRID_SERVICE,
    PETITION_POLICY,
    PETITION_SERVICE,
)
from tests.support.grpc import start_server
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


def assigned(clock: ManualClock) -> Event:
    payload = events_pb2.PetitionAssigned(
        petition_id="p-old", grid=common_pb2.GridRef(code="G-01-01-01"), assignee_id="worker-7"
    )
    return Event.create(payload, key="p-old", source="/gridplus/dispatch", time=clock.now())


@pytest.fixture
def older_directory() -> Iterator[GrpcDirectory]:
    """grid-registry and petition servers that implement none of the RPCs notification uses."""
    grid = start_server(
        lambda s: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(
            grid_pb2_grpc.GridRegistryServiceServicer(), s
        ),
        GRID_SERVICE,
        GRID_POLICY,
        jwt=JWT,
    )
    petition = start_server(
        lambda s: petition_pb2_grpc.add_PetitionServiceServicer_to_server(
            petition_pb2_grpc.PetitionServiceServicer(), s
        ),
        PETITION_SERVICE,
        PETITION_POLICY,
        jwt=JWT,
    )
    token = ServiceToken(JWT, "notification")
    channels = [service_channel(f"127.0.0.1:{s.port}", token) for s in (grid, petition)]
    try:
        yield GrpcDirectory(*channels)
    finally:
        for channel in channels:
            channel.close()
        grid.stop(0).wait(5)
        petition.stop(0).wait(5)


def test_older_dependencies_still_leave_an_inbox_item(
    store: Store, api: Stub, older_directory: GrpcDirectory, clock: ManualClock
) -> None:
    notifier = Notifier(older_directory, ChannelPolicy(email=True), clock, keys=KEYS)
    event = assigned(clock)
    plan = notifier.prepare(received(event))
    with transaction(store.sessions) as session:
        notifier.apply(session, plan)
    listed = api.ListInbox(
        pb.ListInboxRequest(recipient_id="worker-7"), metadata=as_caller("worker-7")
    )
    assert [item.petition_id for item in listed.items] == ["p-old"]
    deliveries = api.ListDeliveries(
        pb.ListDeliveriesRequest(event_id=event.id), metadata=as_caller("ops", Role.ADMIN)
    )
    assert list(deliveries.deliveries) == []  # no contacts known: inbox only


def test_a_dependency_that_is_down_is_a_transient_failure(clock: ManualClock) -> None:
    token = ServiceToken(JWT, "notification")
    nowhere = service_channel(f"127.0.0.1:{free_port()}", token)
    directory = GrpcDirectory(nowhere, nowhere, deadline_seconds=2)
    with pytest.raises(grpc.RpcError) as failed:
        Notifier(directory, ChannelPolicy(), clock, keys=KEYS).prepare(received(assigned(clock)))
    nowhere.close()
    assert is_transient(failed.value)
