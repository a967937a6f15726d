"""Evaluation on a migrated database behind a real in-process kit gRPC server, with a manual
clock, plus helpers to apply events the way the consumer does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.evaluation.api.grpc import POLICY, SERVICE_NAME, EvaluationServicer
from gridplus.evaluation.domain.assessment import AssessmentWeights
from gridplus.evaluation.domain.follow_up import FollowUpPolicy
from gridplus.evaluation.handlers import Assessments, FollowUps, TimeBank
from gridplus.evaluation.messaging.consumers import REBUILD_HANDLERS
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event
from gridplus.kit.outbox import Outbox
from gridplus.kit.topology import events_topic
from tests.conftest import JWT_SECRET
from tests.support.grpc import serving
from tests.support.store import migrated_store

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/evaluation/storage/alembic"
JWT = JwtSettings(JWT_SECRET, "gridplus")
START = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

Stub = evaluation_pb2_grpc.EvaluationServiceStub
Metadata = list[tuple[str, str]]


def as_caller(
    subject: str, role: Role, grid_codes: tuple[str, ...] = (), department: str | None = None
) -> Metadata:
    token = mint_token(
        JWT, subject=subject, role=role, grid_codes=grid_codes, department=department
    )
    return [("authorization", f"Bearer {token}")]


def stamp(at: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(at)
    return result


@dataclass
class Evaluation:
    sessions: SessionFactory
    api: Stub
    clock: ManualClock
    follow_ups: FollowUps

    def apply(self, payload: Message, key: str = "") -> None:
        """Apply an event as the consumer would (rebuild table: includes our own events)."""
        event = Event.create(payload, key=key, source="/gridplus/test", time=self.clock.now())
        with transaction(self.sessions) as session:
            REBUILD_HANDLERS[event.type](session, event)  # type: ignore[operator]


@pytest.fixture
def evaluation(database_url: str) -> Iterator[Evaluation]:
    clock = ManualClock(START)
    with migrated_store(database_url, MIGRATIONS) as store:
        outbox = Outbox(events_topic("evaluation"), "/gridplus/evaluation", clock)
        follow_ups = FollowUps(outbox, clock, FollowUpPolicy(satisfied_min_rating=4, days=7))
        servicer = EvaluationServicer(
            store.sessions,
            clock,
            follow_ups=follow_ups,
            assessments=Assessments(outbox, clock, AssessmentWeights()),
            time_bank=TimeBank(clock, points_per_hour=10),
        )

        def register(server: grpc.Server) -> None:
            evaluation_pb2_grpc.add_EvaluationServiceServicer_to_server(servicer, server)

        with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
            yield Evaluation(store.sessions, Stub(channel), clock, follow_ups)
