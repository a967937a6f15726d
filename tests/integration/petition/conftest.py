"""The petition service on a real database (SQLite file and PostgreSQL): sessions, outbox,
clock, the Flask test client, and tokens for callers of each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from flask.testing import FlaskClient
from google.protobuf.message import Message
from sqlalchemy import func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.events import Event
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from gridplus.petition.api.http import create_app
from gridplus.petition.messaging.consumers import dispatch_handlers
from gridplus.petition.protos import timestamp
from gridplus.petition.storage.models import PetitionRow
from tests.conftest import JWT_SECRET

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/petition/storage/alembic"
JWT = JwtSettings(JWT_SECRET, "gridplus")
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
M = TypeVar("M", bound=Message)


def token(subject: str, role: Role = Role.RESIDENT) -> str:
    return mint_token(JWT, subject=subject, role=role)


def bearer(subject: str, role: Role = Role.RESIDENT) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(subject, role)}"}


@dataclass
class Store:
    sessions: SessionFactory
    outbox: Outbox
    clock: ManualClock
    wakes: list[int]

    def wake(self) -> None:
        self.wakes.append(1)

    def events(self, payload_type: type[M]) -> list[M]:
        """Payloads of this type written to the outbox, oldest first."""
        name = payload_type.DESCRIPTOR.full_name
        with transaction(self.sessions) as session:
            rows = session.execute(
                select(outbox_messages.c.payload)
                .where(outbox_messages.c.ce_type == name)
                .order_by(outbox_messages.c.id)
            ).all()
        return [payload_type.FromString(row.payload) for row in rows]

    def status_changes(self) -> list[events_pb2.PetitionStatusChanged]:
        return self.events(events_pb2.PetitionStatusChanged)

    def petition_count(self) -> int:
        with transaction(self.sessions) as session:
            return int(session.execute(select(func.count()).select_from(PetitionRow)).scalar_one())


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    clock = ManualClock(T0)
    outbox = Outbox(topic=events_topic("petition"), source="/gridplus/petition", clock=clock)
    yield Store(create_session_factory(engine), outbox, clock, [])
    engine.dispose()


@pytest.fixture
def client(store: Store) -> FlaskClient:
    app = create_app(
        sessions=store.sessions,
        outbox=store.outbox,
        clock=store.clock,
        jwt=JWT,
        wake=store.wake,
    )
    return app.test_client()


PATH = ["G1", "G1-2", "G1-2-3"]


def deliver(store: Store, payload: Message, petition_id: str) -> None:
    """What the kit's consumer does with one event: the handler, inside one transaction."""
    event = Event.create(
        payload, key=petition_id, source="/gridplus/dispatch", time=store.clock.now()
    )
    with transaction(store.sessions) as session:
        dispatch_handlers(store.outbox)[event.type](session, event)


def assigned(petition_id: str, deadline: datetime) -> events_pb2.PetitionAssigned:
    return events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code="G1-2-3", level=3, path=PATH, grid_set_version=2),
        assignee_id="worker-7",
        category="road.manhole",
        deadline=timestamp(deadline),
        assigned_at=timestamp(T0 + timedelta(minutes=1)),
        reasons=["point lies in G1-2-3", "worker-7 is on duty"],
    )
