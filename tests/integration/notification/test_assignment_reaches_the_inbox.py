"""A PetitionAssigned on the dispatch topic, delivered twice by the real broker, lands in the
assignee's inbox once; the assignee reads and clears it over gRPC, and nobody else may."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer
from gridplus.kit.events import encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.topology import dlq_topic
from gridplus.notification.messaging.consumers import HANDLERS, TOPICS
from tests.integration.notification.conftest import Store, as_caller
from tests.support.broker import Broker

pytestmark = pytest.mark.integration

DISPATCH_TOPIC = "gridplus.dispatch.events.v1"


def assignment(petition_id: str, assignee_id: str) -> events_pb2.PetitionAssigned:
    payload = events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code="G-02-05-31", level=3, path=["G-02", "G-02-05", "G-02-05-31"]),
        assignee_id=assignee_id,
        category="street_light",
    )
    now = datetime.now(UTC)
    payload.assigned_at.FromDatetime(now)
    payload.deadline.FromDatetime(now + timedelta(hours=4))
    return payload


def publish_twice(broker: Broker, payload: events_pb2.PetitionAssigned) -> tuple[int, int]:
    """The same event (same ce_id) twice, as after a relay resend; returns (partition, offset)."""
    headers = encode_headers(
        event_id=str(uuid.uuid4()),
        ce_type=payload.DESCRIPTOR.full_name,
        source="/gridplus/dispatch",
        time=datetime.now(UTC),
        traceparent=None,
    )
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    try:
        sent = [
            producer.send(
                DISPATCH_TOPIC,
                key=payload.petition_id.encode(),
                value=payload.SerializeToString(),
                headers=headers,
            ).get(timeout=10)
            for _ in range(2)
        ]
    finally:
        producer.close()
    return sent[-1].partition, sent[-1].offset


def wait_for_commit(broker: Broker, group: str, partition: int, offset: int) -> None:
    """Until the consumer group has committed past `offset` (both copies are handled)."""
    probe = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group)
    tp = TopicPartition(DISPATCH_TOPIC, partition)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            committed = probe.committed(tp)
            if committed is not None and committed > offset:
                return
            time.sleep(0.1)
    finally:
        probe.close()
    raise AssertionError("the consumer did not get past the duplicate in time")


def test_an_assignment_delivered_twice_reaches_the_assignee_once(
    broker: Broker, store: Store, inbox_api: notification_pb2_grpc.NotificationServiceStub
) -> None:
    assert TOPICS == [DISPATCH_TOPIC]
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
    ensure_topics(settings, [*TOPICS, *map(dlq_topic, TOPICS)])
    assignee = f"worker-{uuid.uuid4().hex[:8]}"
    petition_id = f"p-{uuid.uuid4().hex[:8]}"
    partition, offset = publish_twice(broker, assignment(petition_id, assignee))
    group = f"notification-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        name=group,
        topics=TOPICS,
        handlers=HANDLERS,
        sessions=store.sessions,
        consumer_factory=lambda: create_consumer(settings, group, "notification-test"),
        producer_factory=lambda: create_producer(settings, "notification-test"),
        clock=SystemClock(),
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for_commit(broker, group, partition, offset)
    finally:
        stop.set()
        thread.join(15)

    own = as_caller(assignee)
    listed = inbox_api.ListInbox(pb.ListInboxRequest(recipient_id=assignee), metadata=own)
    assert listed.unread_count == 1
    assert listed.next_page_token == ""
    (item,) = listed.items
    assert item.recipient_id == assignee
    assert item.petition_id == petition_id
    assert item.event_type == "gridplus.events.v1.PetitionAssigned"
    assert item.title == "新诉求待核实"
    assert "G-02-05-31" in item.body
    assert not item.read

    marked = inbox_api.MarkRead(
        pb.MarkReadRequest(recipient_id=assignee, item_ids=[item.id]), metadata=own
    )
    assert marked.unread_count == 0
    after = inbox_api.ListInbox(pb.ListInboxRequest(recipient_id=assignee), metadata=own)
    assert after.unread_count == 0
    assert [i.read for i in after.items] == [True]

    someone_else = as_caller(f"worker-{uuid.uuid4().hex[:8]}")
    with pytest.raises(grpc.RpcError) as refused:
        inbox_api.ListInbox(pb.ListInboxRequest(recipient_id=assignee), metadata=someone_else)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as refused:
        inbox_api.MarkRead(
            pb.MarkReadRequest(recipient_id=assignee, item_ids=[item.id]), metadata=someone_else
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
