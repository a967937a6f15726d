"""A poll of events asks petition for all its reporters in one BatchGetReporterContacts call
(kit Prepared.prepare_ahead), not one GetReporterContacts per event, and every reporter is still
told. Against an older petition without the batch call, one call per event as before. Real gRPC
servers of the proto contracts, the kit's batch applier, the inbox on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.batch import BatchApplier
from gridplus.kit.clock import ManualClock, SystemClock
from gridplus.kit.db import transaction
from gridplus.notification.clients import GrpcDirectory
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.grid_cache import CachedDirectory
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.handlers.reporters_ahead import ReportersAhead
from gridplus.notification.messaging.consumers import handlers
from gridplus.notification.storage.models import InboxItem
from tests.integration.notification.conftest import KEYS, Store
from tests.integration.notification.servers import (
    ContractPetition,
    Org,
)
from tests.support.records import consumer_record

pytestmark = pytest.mark.integration

PETITIONS = [f"p-{n}" for n in range(1, 7)]


@pytest.fixture
def reporting_org(org: Org) -> Org:
    org.reporters = {
        p: [petition_pb2.ReporterContact(reporter_id=f"res-{p}", email=f"{p}@mail.example")]
        for p in PETITIONS
    }
    return org


def _record(offset: int, petition_id: str) -> Any:
    payload = events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code="G-01-01-01"),
        assignee_id="worker-7",
    )
    return consumer_record(
        offset, payload, key=petition_id, source="/gridplus/dispatch", topic="dispatch.events.v1"
    )


def _apply_one_poll(store: Store, directory: ReportersAhead, clock: ManualClock) -> set[str]:
    notifier = Notifier(directory, ChannelPolicy(email=True), clock, keys=KEYS)
    applier = BatchApplier(
        name="notification-test",
        handlers=handlers(notifier, grid_events=None, reporters_ahead=directory),
        sessions=store.sessions,
        clock=SystemClock(),
        after_commit=lambda: None,
    )
    records = [_record(n, p) for n, p in enumerate(PETITIONS)]
    assert applier.apply(records, lambda record, attempts: True) is None
    with transaction(store.sessions) as session:
        return set(session.execute(select(InboxItem.recipient_id)).scalars())


def test_a_poll_asks_petition_once_for_every_reporter_and_tells_them_all(
    store: Store,
    reporting_org: Org,
    contract_petition: ContractPetition,
    directory: GrpcDirectory,
    clock: ManualClock,
) -> None:
    told = _apply_one_poll(store, ReportersAhead(CachedDirectory(directory)), clock)

    assert {f"res-{p}" for p in PETITIONS} <= told
    assert contract_petition.calls == {"BatchGetReporterContacts": 1}


def test_an_older_petition_is_asked_once_per_event_and_everyone_is_still_told(
    store: Store,
    reporting_org: Org,
    contract_petition: ContractPetition,
    directory: GrpcDirectory,
    clock: ManualClock,
) -> None:
    contract_petition.batch = False  # answers BatchGetReporterContacts UNIMPLEMENTED

    told = _apply_one_poll(store, ReportersAhead(CachedDirectory(directory)), clock)

    assert {f"res-{p}" for p in PETITIONS} <= told
    assert contract_petition.calls == {"GetReporterContacts": len(PETITIONS)}
