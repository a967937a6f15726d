"""Grid chains kept across events (handlers/grid_cache.py), through the consumer's handlers, the
kit's batch and per-event paths, a real database and grid-registry's contract on loopback: a
member added to a grid is told from the next event once the change is consumed, and within the
bound on a replica that did not consume it; an outage of grid-registry makes the consumer retry
the event until it can tell everyone, never tell nobody; reporters are asked for every event."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from google.protobuf.message import Message

from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.batch import BatchApplier
from gridplus.kit.clock import ManualClock
from gridplus.kit.consumer import EventConsumer, RetryPolicy
from gridplus.kit.events import encode_headers
from gridplus.notification.clients import GrpcDirectory
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.grid_cache import DEFAULT_CONFIRM_SECONDS, CachedDirectory
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.messaging.consumers import TOPICS, handlers
from tests.integration.notification.conftest import KEYS, Store, Stub, as_caller, member
from tests.integration.notification.servers import ContractGridRegistry, Org

pytestmark = pytest.mark.integration

GRID = "G-01-01-01"
CARE_OVERDUE = events_pb2.CareVisitOverdue.DESCRIPTOR.full_name
ASSIGNED = events_pb2.PetitionAssigned.DESCRIPTOR.full_name
NEWCOMER = "worker-9"


class Ticks:
    """The cache's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(payload: Message, key: str, offset: int) -> Any:
    """A consumed record as one partition's poll holds it."""
    headers = encode_headers(
        event_id=str(uuid.uuid4()),
        ce_type=payload.DESCRIPTOR.full_name,
        source="/gridplus/test",
        time=datetime.now(UTC),
        traceparent=None,
    )
    return SimpleNamespace(
        key=key.encode(),
        value=payload.SerializeToString(),
        headers=headers,
        topic=TOPICS[0],
        partition=0,
        offset=offset,
    )


def care_overdue(household: str) -> events_pb2.CareVisitOverdue:
    payload = events_pb2.CareVisitOverdue(
        member_id=f"m-{household}", household_id=household, grid_code=GRID
    )
    payload.due_at.FromDatetime(datetime(2025, 3, 1, tzinfo=UTC))
    return payload


def grid_set_imported(version: int) -> events_pb2.GridSetImported:
    return events_pb2.GridSetImported(grid_set_version=version, grid_count=4)


def joined(person_id: str) -> events_pb2.MembershipChanged:
    return events_pb2.MembershipChanged(
        person_id=person_id, grid_code=GRID, role=grid_pb2.MEMBER_ROLE_GRID_WORKER
    )


def assigned(petition_id: str) -> events_pb2.PetitionAssigned:
    payload = events_pb2.PetitionAssigned(petition_id=petition_id, assignee_id="worker-7")
    payload.grid.code = GRID
    return payload


class Replica:
    """One notification replica's consumer: the service's handlers over a cached directory,
    applied as the kit's consumer applies a poll (batch, then one by one on failure)."""

    def __init__(self, store: Store, directory: GrpcDirectory, clock: ManualClock) -> None:
        self.ticks = Ticks()
        self.cache = CachedDirectory(directory, monotonic=self.ticks)
        notifier = Notifier(self.cache, ChannelPolicy(email=True), clock, keys=KEYS)
        table = handlers(notifier, grid_events=self.cache)
        self.consumer = EventConsumer(
            name="notification",
            topics=TOPICS,
            handlers=table,
            sessions=store.sessions,
            consumer_factory=_no_broker,
            producer_factory=_no_broker,
            clock=clock,
            retry=RetryPolicy(max_attempts=2, first_backoff_seconds=0.01, max_backoff_seconds=0.05),
        )
        self.batches = BatchApplier(
            name="notification",
            handlers=table,
            sessions=store.sessions,
            clock=clock,
            after_commit=lambda: None,
        )
        self.retried: list[int] = []
        self.on_retry: Callable[[], None] = lambda: None
        self._offset = 0

    def consume(self, *polled: tuple[Message, str]) -> None:
        records = []
        for payload, key in polled:
            records.append(record(payload, key, self._offset))
            self._offset += 1
        stop = threading.Event()

        def one_by_one(one: Any, attempts: int) -> bool:
            self.retried.append(one.offset)
            self.on_retry()
            self.consumer.process(one, stop, attempts_used=attempts)
            return True

        assert self.batches.apply(records, one_by_one) is None


def _no_broker() -> Any:
    raise AssertionError("these tests apply records without a broker")


def told(api: Stub, person_id: str, event_type: str = CARE_OVERDUE) -> int:
    """How many inbox items about events of `event_type` the person has."""
    listed = api.ListInbox(
        pb.ListInboxRequest(recipient_id=person_id), metadata=as_caller(person_id)
    )
    return sum(1 for item in listed.items if item.event_type == event_type)


def add_newcomer(org: Org) -> None:
    """grid-registry imports a new version in which worker-9 joined the grid."""
    org.members.append(member(NEWCOMER, GRID, grid_pb2.MEMBER_ROLE_GRID_WORKER))
    org.version += 1


@pytest.fixture
def replica(store: Store, directory: GrpcDirectory, clock: ManualClock) -> Replica:
    return Replica(store, directory, clock)


def test_a_member_added_is_told_from_the_event_after_the_change_is_consumed(
    api: Stub, replica: Replica, org: Org, grid_registry: ContractGridRegistry
) -> None:
    replica.consume((care_overdue("hh-1"), "hh-1"))
    add_newcomer(org)
    replica.consume(
        (grid_set_imported(org.version), "grid-set"),
        (joined(NEWCOMER), "grid-set"),
    )
    replica.consume((care_overdue("hh-2"), "hh-2"))
    assert told(api, NEWCOMER) == 1
    assert told(api, "worker-7") == 2
    assert grid_registry.calls == ["GetChain", "GetChain"]  # one per version


def test_a_replica_that_missed_the_change_tells_the_member_once_the_bound_passes(
    api: Stub, replica: Replica, org: Org, grid_registry: ContractGridRegistry
) -> None:
    replica.consume((care_overdue("hh-1"), "hh-1"))
    add_newcomer(org)  # another replica consumed the grid events
    replica.consume((care_overdue("hh-2"), "hh-2"))
    assert told(api, NEWCOMER) == 0  # within the bound: the version held, confirmed 0 s ago
    replica.ticks.now += DEFAULT_CONFIRM_SECONDS
    replica.consume((care_overdue("hh-3"), "hh-3"))
    assert told(api, NEWCOMER) == 1
    assert told(api, "worker-7") == 3
    assert grid_registry.calls == ["GetChain", "GetChain"]


def test_an_outage_past_the_bound_is_retried_until_everyone_is_told(
    api: Stub, replica: Replica, grid_registry: ContractGridRegistry
) -> None:
    replica.consume((care_overdue("hh-1"), "hh-1"))
    replica.ticks.now += DEFAULT_CONFIRM_SECONDS
    # Down for longer than the channel's own retries: the event itself fails, nobody is told
    # from what was held; grid-registry is back by the time the consumer retries the event.
    grid_registry.unavailable = 10**6
    replica.on_retry = lambda: setattr(grid_registry, "unavailable", 0)
    replica.consume((care_overdue("hh-2"), "hh-2"))
    assert replica.retried == [1]  # the batch gave it to the per-event path
    for person in ("worker-7", "worker-8", "chief-3"):
        assert told(api, person) == 2


def test_reporters_are_asked_for_every_event(api: Stub, replica: Replica, org: Org) -> None:
    org.reporters["p-9"] = [petition_pb2.ReporterContact(reporter_id="res-9", language="en")]
    replica.consume((assigned("p-9"), "p-9"))
    # The petition absorbed a duplicate since: its reporter is told about the next assignment.
    org.reporters["p-9"].append(
        petition_pb2.ReporterContact(reporter_id="res-10", language="en", via_duplicate=True)
    )
    replica.consume((assigned("p-9"), "p-9"))
    assert told(api, "res-9", ASSIGNED) == 2
    assert told(api, "res-10", ASSIGNED) == 1
