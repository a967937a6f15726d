"""Issue 16, through a real broker and a real database (SQLite and PostgreSQL), with
grid-registry's contract on loopback: dispatch's CareVisitOverdue, delivered twice, puts one
item in the inbox of each grid worker of the household's grid and of its grid chief (and one
email each where they have an address), nobody else's; evaluation's GridDigestReady reaches the
grid's chief, in their language, by inbox and email."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.message import Message
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from gridplus.api.events.v1 import events_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.kit.clock import ManualClock, SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer
from gridplus.kit.events import encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.topology import dlq_topic, events_topic
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.messaging.consumers import TOPICS, handlers
from tests.integration.notification.conftest import Store, Stub, WorkerFactory, as_caller
from tests.integration.notification.servers import SmtpSink
from tests.support.broker import Broker
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration

GRID = "G-01-01-01"
WEEK = datetime(2025, 2, 24, tzinfo=UTC)
CARE_OVERDUE = "gridplus.events.v1.CareVisitOverdue"
DIGEST = "gridplus.events.v1.GridDigestReady"


def publish(broker: Broker, topic: str, key: str, payload: Message, times: int) -> tuple[int, int]:
    """The same event (same ce_id) `times` times, as after relay resends; (partition, offset)."""
    headers = encode_headers(
        event_id=str(uuid.uuid4()),
        ce_type=payload.DESCRIPTOR.full_name,
        source="/gridplus/test",
        time=datetime.now(UTC),
        traceparent=None,
    )
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    try:
        sent = [
            producer.send(
                topic, key=key.encode(), value=payload.SerializeToString(), headers=headers
            ).get(timeout=10)
            for _ in range(times)
        ]
    finally:
        producer.close()
    return sent[-1].partition, sent[-1].offset


def consume_until(
    broker: Broker, store: Store, notifier: Notifier, marks: dict[str, tuple[int, int]]
) -> None:
    """Run notification's consumer until its group committed past each topic's mark."""
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
    group = f"notification-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        name=group,
        topics=TOPICS,
        handlers=handlers(notifier),
        sessions=store.sessions,
        consumer_factory=lambda: create_consumer(settings, group, "notification-test"),
        producer_factory=lambda: create_producer(settings, "notification-test"),
        clock=SystemClock(),
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    probe = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group)
    try:
        for topic, (partition, offset) in marks.items():
            tp = TopicPartition(topic, partition)
            eventually(
                lambda tp=tp, offset=offset: (probe.committed(tp) or -1) > offset,  # type: ignore[misc]
                f"the consumer committed past the copies on {topic}",
                timeout=30,
            )
    finally:
        probe.close()
        stop.set()
        thread.join(15)


def care_overdue(member_id: str, due_at: datetime) -> events_pb2.CareVisitOverdue:
    payload = events_pb2.CareVisitOverdue(
        member_id=member_id,
        household_id="hh-42",
        grid_code=GRID,
        care_groups=["ELDERLY_ALONE"],
    )
    payload.due_at.FromDatetime(due_at)
    payload.detected_at.FromDatetime(due_at + timedelta(minutes=1))
    return payload


def digest(week: datetime, submitted: int) -> events_pb2.GridDigestReady:
    payload = events_pb2.GridDigestReady(
        grid_code=GRID,
        petitions_submitted=submitted,
        petitions_closed=10,
        top_categories=[
            events_pb2.DigestCategoryCount(
                category="road.manhole", count=5, previous_count=1, rising=True
            )
        ],
        repeat_locations=1,
        visit_coverage=0.9,
        care_visits_on_time=1.0,
        care_visits_overdue=1,
    )
    payload.period_start.FromDatetime(week)
    payload.period_end.FromDatetime(week + timedelta(days=7))
    return payload


def inbox(api: Stub, person_id: str, event_type: str) -> list[pb.InboxItem]:
    listed = api.ListInbox(
        pb.ListInboxRequest(recipient_id=person_id), metadata=as_caller(person_id)
    )
    return [item for item in listed.items if item.event_type == event_type]


def test_an_overdue_care_visit_tells_the_workers_and_chief_once_and_a_digest_the_chief(
    broker: Broker,
    store: Store,
    api: Stub,
    notifier: Notifier,
    clock: ManualClock,
    smtp: SmtpSink,
    make_worker: WorkerFactory,
) -> None:
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
    ensure_topics(settings, [*TOPICS, *map(dlq_topic, TOPICS)])
    # The broker outlives this test: earlier tests' events are on the topics too.
    member_id = f"m-{uuid.uuid4().hex[:8]}"
    submitted = 100 + uuid.uuid4().int % 100_000  # tells this test's digest from earlier ones
    due_at = clock.now() - timedelta(hours=3)
    marks = {
        events_topic("dispatch"): publish(
            broker, events_topic("dispatch"), member_id, care_overdue(member_id, due_at), 2
        ),
        events_topic("evaluation"): publish(
            broker, events_topic("evaluation"), GRID, digest(WEEK, submitted), 2
        ),
    }

    consume_until(broker, store, notifier, marks)

    # demo_org: worker-7 and worker-8 work in G-01-01-01, chief-3 leads it (in English);
    # chief-1 leads G-01 above it and chief-2 another grid: neither is told.
    told = {
        person: [i for i in inbox(api, person, CARE_OVERDUE) if member_id in i.body]
        for person in ("worker-7", "worker-8", "chief-3", "chief-1", "chief-2")
    }
    assert {person: len(items) for person, items in told.items()} == {
        "worker-7": 1,
        "worker-8": 1,
        "chief-3": 1,
        "chief-1": 0,
        "chief-2": 0,
    }
    (worker_item,) = told["worker-7"]
    assert worker_item.title == "特殊人群走访逾期（红灯）"
    assert "住户 hh-42" in worker_item.body and "独居老人" in worker_item.body
    assert due_at.strftime("%Y-%m-%d %H:%M UTC") in worker_item.body
    assert worker_item.petition_id == ""
    (chief_item,) = told["chief-3"]
    assert chief_item.title == "Care visit overdue (red)"
    assert "household hh-42" in chief_item.body and "never visited" in chief_item.body

    mine = f"{submitted} petitions submitted, 10 closed"
    (digest_item,) = [i for i in inbox(api, "chief-3", DIGEST) if mine in i.body]
    assert digest_item.title == "Weekly digest of grid G-01-01-01 (2025-02-24 – 2025-03-02)"
    assert "road.manhole 5 (week before 1, rising)" in digest_item.body
    assert [inbox(api, p, DIGEST) for p in ("worker-7", "chief-1")] == [[], []]

    # The channels: worker-7 and chief-3 have email addresses (worker-8 has none).
    # (Earlier tests' events on the shared topics are delivered too: run until none is due.)
    worker = make_worker()
    for _ in range(20):
        if worker.run_once() == 0:
            break
    worker_mails = [m for m in smtp.to("worker7@gov.example") if member_id in m.get_content()]
    assert [m["Subject"] for m in worker_mails] == ["特殊人群走访逾期（红灯）"]
    chief_mails = smtp.to("chief3@gov.example")
    chief_subjects = sorted(
        m["Subject"] for m in chief_mails if member_id in m.get_content() or mine in m.get_content()
    )
    assert chief_subjects == [
        "Care visit overdue (red)",
        "Weekly digest of grid G-01-01-01 (2025-02-24 – 2025-03-02)",
    ]
