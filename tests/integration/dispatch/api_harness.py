"""DispatchService over real gRPC with JWT auth, on a migrated SQLite or PostgreSQL store, with
the router and clock keeper the tests drive directly (routing stands in for petition events)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from gridplus.api.dispatch.v1 import dispatch_pb2_grpc
from gridplus.dispatch.api.grpc import POLICY, SERVICE_NAME, DispatchServicer
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.classifier import Prediction
from gridplus.dispatch.domain.time_limits import TimePolicy
from gridplus.dispatch.handlers.clocks import ClockKeeper
from gridplus.dispatch.handlers.routing import Classifier, PetitionRouter, PetitionToRoute
from gridplus.dispatch.ports import GridDirectory
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import transaction
from gridplus.kit.events import parse_payload
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from tests.conftest import JWT_SECRET
from tests.integration.dispatch.grid_registry_stub import OUTSIDE, square
from tests.support.grpc import serving
from tests.support.store import migrated_store

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/dispatch/storage/alembic"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
JWT = JwtSettings(JWT_SECRET, "gridplus")
NOISE = "nyc.noise_residential"
POLICY_ = TimePolicy(BusinessCalendar(), {})
TOPIC = "gridplus.dispatch.events.v1"


class UnsureClassifier:
    """Never sure enough: every petition without a category goes to triage."""

    def predict(self, title: str, description: str) -> Prediction:
        return Prediction("nyc.noise_residential", 0.2, "en")


@dataclass
class Api:
    stub: dispatch_pb2_grpc.DispatchServiceStub
    sessions: sessionmaker
    router: PetitionRouter
    clock: ManualClock

    def route(self, petition_id: str, grid_code: str, category: str = NOISE) -> None:
        point = OUTSIDE if grid_code == "outside" else square(grid_code).centre()
        with transaction(self.sessions) as session:
            self.router.route(session, PetitionToRoute(petition_id, "", "", category, point))

    def published(self) -> list[tuple[str, object]]:
        with transaction(self.sessions) as session:
            rows = session.execute(select(outbox_messages).order_by(outbox_messages.c.id)).all()
        return [(row.key, parse_payload(row.ce_type, row.payload)) for row in rows]


def auth(
    role: Role, subject: str = "staff-1", grids: tuple[str, ...] = (), department: str = ""
) -> list[tuple[str, str]]:
    token = mint_token(
        JWT, subject=subject, role=role, grid_codes=grids, department=department or None
    )
    return [("authorization", f"Bearer {token}")]


@contextmanager
def dispatch_api(
    database_url: str,
    directory: GridDirectory,
    classifier: Classifier | None = None,
    threshold: float = 0.5,
) -> Iterator[Api]:
    clock = ManualClock(T0)
    router = PetitionRouter(
        directory=directory,
        outbox=Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=clock),
        clock=clock,
        policy=POLICY_,
        classifier=classifier or UnsureClassifier(),
        threshold=threshold,
    )
    outbox = Outbox(topic=TOPIC, source="/gridplus/dispatch", clock=clock)
    keeper = ClockKeeper(directory=directory, policy=POLICY_, clock=clock, outbox=outbox)
    with migrated_store(database_url, MIGRATIONS) as store:
        servicer = DispatchServicer(
            store.sessions,
            clock=clock,
            keeper=keeper,
            router=router,
            outbox=outbox,
            directory=directory,
            whistle_report_minutes=30,
        )

        def register(server: grpc.Server) -> None:
            dispatch_pb2_grpc.add_DispatchServiceServicer_to_server(servicer, server)

        with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
            yield Api(dispatch_pb2_grpc.DispatchServiceStub(channel), store.sessions, router, clock)
