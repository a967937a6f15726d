"""The petition service on a real database (SQLite file and PostgreSQL): sessions, outbox,
clock, the Flask test client, and tokens for callers of each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import grpc
import pytest
from flask.testing import FlaskClient
from google.protobuf.message import Message
from sqlalchemy import func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.batch import apply_handler
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
from gridplus.kit.pii import KeyRing
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from gridplus.petition.api.convert import timestamp
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from gridplus.petition.api.http import create_app
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.messaging.consumers import dispatch_handlers, evaluation_handlers
from gridplus.petition.ports import Category, StaticCategories
from gridplus.petition.storage.blobs import LocalBlobStore
from gridplus.petition.storage.models import PetitionRow
from tests.conftest import JWT_SECRET
from tests.support.grpc import serving

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/petition/storage/alembic"
JWT = JwtSettings(JWT_SECRET, "gridplus")
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
M = TypeVar("M", bound=Message)


OPEN311_KEY = "test-open311-key"
CATEGORIES = StaticCategories(
    [
        Category("environmental_protection", "环境保护", "Environmental protection", "", ""),
        Category(
            "environmental_protection.01",
            "垃圾清运",
            "Garbage collection",
            "environmental_protection",
            "environmental_protection",
        ),
        Category("nyc", "纽约", "NYC", "", ""),
        Category("nyc.noise_residential", "住宅噪音", "Noise - Residential", "nyc", "nyc"),
        Category("road.manhole", "井盖", "Manhole cover", "road", "road"),
    ]
)


def token(
    subject: str,
    role: Role = Role.RESIDENT,
    *,
    grids: tuple[str, ...] = (),
    department: str | None = None,
) -> str:
    return mint_token(JWT, subject=subject, role=role, grid_codes=grids, department=department)


def bearer(subject: str, role: Role = Role.RESIDENT, **scope: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(subject, role, **scope)}"}  # type: ignore[arg-type]


@dataclass
class Store:
    sessions: SessionFactory
    outbox: Outbox
    clock: ManualClock
    wakes: list[int]
    deps: Deps

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


KEYS = KeyRing([("k1", bytes(range(32)))])


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    clock = ManualClock(T0)
    outbox = Outbox(topic=events_topic("petition"), source="/gridplus/petition", clock=clock)
    blob_store = LocalBlobStore(tmp_path / "blobs")
    deps = Deps(outbox=outbox, clock=clock, keys=KEYS, blobs=blob_store, categories=CATEGORIES)
    yield Store(create_session_factory(engine), outbox, clock, [], deps)
    engine.dispose()


@pytest.fixture
def client(store: Store) -> FlaskClient:
    app = create_app(
        sessions=store.sessions,
        deps=store.deps,
        jwt=JWT,
        wake=store.wake,
        categories=CATEGORIES,
        open311_settings=Open311Settings(api_keys=frozenset({OPEN311_KEY})),
    )
    return app.test_client()


PATH = ["G1", "G1-2", "G1-2-3"]


def deliver(store: Store, payload: Message, petition_id: str) -> None:
    """What the kit's consumer does with one event: the handler, inside one transaction."""
    event = Event.create(
        payload, key=petition_id, source="/gridplus/dispatch", time=store.clock.now()
    )
    table = {**dispatch_handlers(store.deps), **evaluation_handlers(store.deps)}
    with transaction(store.sessions) as session:
        apply_handler(table[event.type], session, event, None)


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


@pytest.fixture
def stub(store: Store) -> Iterator[petition_pb2_grpc.PetitionServiceStub]:
    """PetitionService on a real in-process kit gRPC server."""
    servicer = PetitionServicer(store.sessions, store.deps, wake=store.wake)

    def register(server: grpc.Server) -> None:
        petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield petition_pb2_grpc.PetitionServiceStub(channel)


def as_caller(
    subject: str, role: Role, *, grids: tuple[str, ...] = (), department: str | None = None
) -> list[tuple[str, str]]:
    """gRPC metadata for a caller with the scope claims their token carries."""
    minted = token(subject, role, grids=grids, department=department)
    return [("authorization", f"Bearer {minted}")]


def category_choice(
    code: str = "road.manhole", confidence: float = 0.87
) -> events_pb2.CategoryChoice:
    return events_pb2.CategoryChoice(
        code=code,
        name_zh="井盖",
        name_en="Manhole cover",
        top_level_code="road",
        source=events_pb2.CATEGORY_SOURCE_CLASSIFIED,
        confidence=confidence,
    )
