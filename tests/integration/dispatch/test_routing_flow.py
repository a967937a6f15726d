"""Dispatch end to end on the real broker: PetitionSubmitted in, PetitionAssigned or
PetitionRoutingFailed out, with the grid registry reached over real gRPC (a stub on the kit's
GrpcServer with JWT auth). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.classifier import TextClassifier
from gridplus.dispatch.domain.time_limits import TimePolicy
from gridplus.dispatch.handlers.routing import PetitionRouter
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.dispatch.storage.models import AssignmentRow
from gridplus.dispatch.storage.training import trained_classifier
from gridplus.kit.auth import ServiceToken
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings, KafkaSettings
from gridplus.kit.consumer import EventConsumer, RetryPolicy
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.events import Event, decode, encode_headers
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox, OutboxRelay
from tests.conftest import JWT_SECRET
from tests.integration.dispatch.grid_registry_stub import OUTSIDE, StubGridRegistry, square
from tests.support.broker import Broker
from tests.support.eventually import eventually
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/dispatch/storage/alembic"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
JWT = JwtSettings(JWT_SECRET, "gridplus")


@dataclass
class Stack:
    """Dispatch's consumer and relay on their own topics, and a reader of what it publishes."""

    petition_topic: str
    dispatch_topic: str
    broker: Broker
    sessions: sessionmaker
    registry: StubGridRegistry
    producer: KafkaProducer
    reader: KafkaConsumer
    seen: list[Event] = field(default_factory=list)

    def submit(
        self,
        petition_id: str,
        point: tuple[float, float],
        *,
        title: str = "",
        category: str = "",
        event_id: str | None = None,
    ) -> str:
        event_id = event_id or str(uuid.uuid4())
        payload = events_pb2.PetitionSubmitted(
            petition_id=petition_id,
            title=title,
            category=category,
            location=common_pb2.GeoPoint(lat=point[0], lon=point[1]),
        )
        payload.submitted_at.FromDatetime(T0)
        self.producer.send(
            self.petition_topic,
            key=petition_id.encode(),
            value=payload.SerializeToString(),
            headers=encode_headers(
                event_id=event_id,
                ce_type=payload.DESCRIPTOR.full_name,
                source="/gridplus/petition",
                time=T0,
                traceparent=None,
            ),
        ).get(timeout=10)
        return event_id

    def wait_for(self, petition_id: str, timeout: float = 20.0) -> Event:
        """The first dispatch event about the petition."""
        return self._wait(lambda: self.about(petition_id), timeout)[0]

    def about(self, petition_id: str) -> list[Event]:
        return [e for e in self.seen if e.key == petition_id]

    def _wait(self, found: Callable[[], list[Event]], timeout: float) -> list[Event]:
        def read() -> list[Event]:
            for records in self.reader.poll(timeout_ms=100).values():
                self.seen += [decode(r.key, r.value, r.headers) for r in records]
            return found()

        return eventually(read, f"a dispatch event (seen so far: {self.seen})", timeout=timeout)

    def assignment_count(self, petition_id: str | None = None) -> int:
        query = select(func.count()).select_from(AssignmentRow)
        if petition_id is not None:
            query = query.where(AssignmentRow.petition_id == petition_id)
        with transaction(self.sessions) as session:
            return int(session.execute(query).scalar_one())

    def dead_letters(self) -> int:
        dlq = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, consumer_timeout_ms=500)
        partition = TopicPartition(f"{self.petition_topic}.dlq", 0)
        dlq.assign([partition])
        dlq.seek_to_beginning(partition)
        count = sum(1 for _ in dlq)
        dlq.close()
        return count


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    return trained_classifier()


@pytest.fixture
def stack(broker: Broker, database_url: str, classifier: TextClassifier) -> Iterator[Stack]:
    run = uuid.uuid4().hex[:8]
    petition_topic = f"test.{run}.petition.events.v1"
    dispatch_topic = f"test.{run}.dispatch.events.v1"
    # One partition each: the test may rely on order (a sentinel after duplicates).
    kafka = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 1, 1)
    ensure_topics(kafka, [petition_topic, f"{petition_topic}.dlq", dispatch_topic])
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    sessions = create_session_factory(engine)
    clock = ManualClock(T0)
    registry = StubGridRegistry(free_port(), JWT).start()
    channel = service_channel(f"127.0.0.1:{registry.port}", ServiceToken(JWT, "dispatch"))
    router = PetitionRouter(
        directory=GrpcGridDirectory(channel, timeout=2.0),
        outbox=Outbox(topic=dispatch_topic, source="/gridplus/dispatch", clock=clock),
        clock=clock,
        policy=TimePolicy(BusinessCalendar(), {}),
        classifier=classifier,
        threshold=0.35,
    )
    relay = OutboxRelay(engine, sessions, lambda: create_producer(kafka, "relay"), clock)
    consumer = EventConsumer(
        name=f"dispatch-{run}",
        topics=[petition_topic],
        handlers=handlers(router),
        sessions=sessions,
        consumer_factory=lambda: create_consumer(kafka, f"dispatch-{run}", "dispatch"),
        producer_factory=lambda: create_producer(kafka, "dispatch-dlq"),
        clock=clock,
        retry=RetryPolicy(first_backoff_seconds=0.1, max_backoff_seconds=0.5),
        after_commit=relay.wake,
    )
    reader = KafkaConsumer(bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest")
    reader.assign([TopicPartition(dispatch_topic, 0)])
    stop = threading.Event()
    threads = [threading.Thread(target=loop, args=(stop,)) for loop in (relay.run, consumer.run)]
    for thread in threads:
        thread.start()
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    yield Stack(petition_topic, dispatch_topic, broker, sessions, registry, producer, reader)
    stop.set()
    for thread in threads:
        thread.join(20)
    producer.close()
    reader.close()
    channel.close()
    registry.stop()
    engine.dispose()


def test_a_petition_is_assigned_to_the_least_loaded_worker_of_its_grid(stack: Stack) -> None:
    grid = square("MN0502")
    stack.submit("p-1", grid.centre(), title="公交站点撤销，希望恢复公交线路和公交车站")
    first = stack.wait_for("p-1")
    assert first.type == "gridplus.events.v1.PetitionAssigned"
    assigned: events_pb2.PetitionAssigned = first.payload  # type: ignore[assignment]
    assert list(assigned.grid.path) == ["1", "MN05", "MN0502"]
    assert (assigned.grid.code, assigned.grid.level, assigned.grid.grid_set_version) == (
        "MN0502",
        3,
        1,
    )
    assert assigned.assignee_id == "w-MN0502-1"  # both have none open: lowest id
    assert assigned.assignee_role == grid_pb2.MEMBER_ROLE_GRID_WORKER
    assert assigned.category == "transport"
    choice = assigned.category_choice
    assert (choice.code, choice.name_zh, choice.name_en, choice.top_level_code) == (
        "transport",
        "交通运输",
        "Transport",
        "transport",
    )
    assert choice.source == events_pb2.CATEGORY_SOURCE_CLASSIFIED
    assert 0.35 <= choice.confidence <= 1
    assert assigned.department_code == ""  # the stub registry resolves no responsibility
    assert assigned.assigned_at.ToDatetime(tzinfo=UTC) == T0
    # Grid-registry's limit for transport: 8 working hours from Friday 17:00 Beijing (half an
    # hour on Friday, seven on Monday): Tuesday 09:30 Beijing.
    assert assigned.deadline.ToDatetime(tzinfo=UTC) == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    # Yellow with a quarter (2 working hours) left: Monday 16:00 Beijing, as dispatch computed it.
    assert assigned.yellow_at.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    reasons = list(assigned.reasons)
    assert reasons[0] == "located in MN0502 (grid set v1)"
    assert reasons[1].startswith("category transport classified from the zh text (confidence")
    assert reasons[2] == (
        "grid_worker w-MN0502-1 has 0 open assignments "
        "(fewest; tie with w-MN0502-2 broken by person id)"
    )
    assert "8 h of working time (business calendar) for category transport" in reasons[3]

    # The next one in the same grid goes to the worker who now has fewer open.
    stack.submit("p-2", grid.centre(), title="Streetlight out on Pearl St")
    second: events_pb2.PetitionAssigned = stack.wait_for("p-2").payload  # type: ignore[assignment]
    assert second.assignee_id == "w-MN0502-2"
    assert second.category == "nyc.street_light_condition"
    assert second.deadline.ToDatetime(tzinfo=UTC) == T0 + timedelta(hours=2)  # high: 2 h

    # A grid without workers: its chief.
    stack.submit("p-3", square("MN0503").centre(), category="nyc.dirty_conditions")
    third: events_pb2.PetitionAssigned = stack.wait_for("p-3").payload  # type: ignore[assignment]
    assert (third.assignee_id, third.assignee_role) == ("c-MN0503", grid_pb2.MEMBER_ROLE_GRID_CHIEF)
    assert third.category_choice.source == events_pb2.CATEGORY_SOURCE_GIVEN
    assert third.reasons[2] == "no grid_worker in MN0503: the grid_chief takes it"


def test_an_unclear_petition_goes_to_triage_instead_of_a_guess(stack: Stack) -> None:
    stack.submit("p-unclear", square("MN0502").centre(), title="hello, something happened")
    sent = stack.wait_for("p-unclear")
    assert sent.type == "gridplus.events.v1.PetitionSentToTriage"
    payload: events_pb2.PetitionSentToTriage = sent.payload  # type: ignore[assignment]
    assert payload.grid.code == "MN0502"
    assert "below the threshold 0.35" in payload.reason
    assert stack.assignment_count() == 0


def test_petitions_nobody_can_take_are_reported_not_assigned(stack: Stack) -> None:
    stack.submit("p-out", OUTSIDE, category="other")
    out = stack.wait_for("p-out")
    assert out.type == "gridplus.events.v1.PetitionRoutingFailed"
    failed: events_pb2.PetitionRoutingFailed = out.payload  # type: ignore[assignment]
    assert failed.reason_code == "OUT_OF_JURISDICTION"
    assert "outside every grid" in failed.reason

    stack.submit("p-empty", square("BK0101").centre(), category="other")
    empty: events_pb2.PetitionRoutingFailed = stack.wait_for("p-empty").payload  # type: ignore[assignment]
    assert empty.reason_code == "NO_ASSIGNEE"
    assert "BK0101" in empty.reason
    assert stack.assignment_count() == 0


def test_the_same_petition_delivered_again_is_assigned_once(stack: Stack) -> None:
    point = square("MN0502").centre()
    event_id = stack.submit("p-1", point, category="nyc.dirty_conditions")
    stack.submit(
        "p-1", point, category="nyc.dirty_conditions", event_id=event_id
    )  # the same event redelivered
    stack.submit(
        "p-1", point, category="nyc.dirty_conditions"
    )  # the same petition under a new event id
    stack.submit(
        "p-sentinel", point, category="nyc.dirty_conditions"
    )  # one partition: processed after the rest
    stack.wait_for("p-sentinel")
    assert len(stack.about("p-1")) == 1
    assert stack.assignment_count("p-1") == 1
    # p-1 is open work for w-MN0502-1, so the sentinel went to the other worker.
    sentinel: events_pb2.PetitionAssigned = stack.about("p-sentinel")[0].payload  # type: ignore[assignment]
    assert sentinel.assignee_id == "w-MN0502-2"


def test_a_petition_waits_for_the_grid_registry_and_is_assigned_when_it_returns(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gridplus.kit.consumer")
    stack.registry.stop()
    stack.submit("p-1", square("MN0502").centre(), category="nyc.illegal_parking")

    def retries() -> int:
        return sum(r.getMessage() == "event failed, retrying" for r in caplog.records)

    # Several failed attempts while the registry is down (seen, not slept for) ...
    eventually(lambda: retries() >= 3, "the consumer retries the event", timeout=20)
    # ... and none of them left anything behind.
    assert stack.assignment_count() == 0
    stack.registry.start()  # the same port again
    assigned = stack.wait_for("p-1", timeout=30)
    assert assigned.type == "gridplus.events.v1.PetitionAssigned"
    assert stack.assignment_count("p-1") == 1
    assert stack.dead_letters() == 0
