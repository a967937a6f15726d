"""Done means: a PetitionAssigned on the dispatch topic, delivered three times by the real broker,
puts one item in the assignee's inbox, one email in the SMTP server for the assignee (and one,
in English, for the reporter), and one signed POST at the registered webhook receiver. The
assignee reads and clears the item over gRPC, and nobody else may."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock, SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer
from gridplus.kit.events import encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.topology import dlq_topic
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.messaging.consumers import TOPICS, handlers
from tests.integration.notification.conftest import (
    Store,
    Stub,
    WorkerFactory,
    as_caller,
    member,
)
from tests.integration.notification.servers import Org, SmtpSink, WebhookReceiver
from tests.support.broker import Broker
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration

DISPATCH_TOPIC = "gridplus.dispatch.events.v1"
ASSIGNED = "gridplus.events.v1.PetitionAssigned"


def assignment(petition_id: str, assignee_id: str, now: datetime) -> events_pb2.PetitionAssigned:
    payload = events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code="G-01-01-01", level=3, path=["G-01", "G-01-01", "G-01-01-01"]),
        assignee_id=assignee_id,
        category="street_light",
    )
    payload.assigned_at.FromDatetime(now)
    payload.deadline.FromDatetime(now + timedelta(hours=4))
    return payload


def publish(broker: Broker, payload: events_pb2.PetitionAssigned, times: int) -> tuple[int, int]:
    """The same event (same ce_id) `times` times, as after relay resends; (partition, offset)."""
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
            for _ in range(times)
        ]
    finally:
        producer.close()
    return sent[-1].partition, sent[-1].offset


def wait_for_commit(broker: Broker, group: str, partition: int, offset: int) -> None:
    """Until the consumer group has committed past `offset` (every copy is handled)."""
    probe = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group)
    tp = TopicPartition(DISPATCH_TOPIC, partition)
    try:
        eventually(
            lambda: (probe.committed(tp) or -1) > offset,
            "the consumer group committed past the duplicates",
            timeout=30,
        )
    finally:
        probe.close()


def consume_until(
    broker: Broker, store: Store, notifier: Notifier, partition: int, offset: int
) -> None:
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
    ensure_topics(settings, [*TOPICS, *map(dlq_topic, TOPICS)])
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
    try:
        wait_for_commit(broker, group, partition, offset)
    finally:
        stop.set()
        thread.join(15)


def test_an_assignment_delivered_three_times_reaches_every_channel_once(
    broker: Broker,
    store: Store,
    api: Stub,
    notifier: Notifier,
    clock: ManualClock,
    org: Org,
    smtp: SmtpSink,
    make_worker: WorkerFactory,
) -> None:
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
    ensure_topics(settings, [*TOPICS, *map(dlq_topic, TOPICS)])
    receiver = WebhookReceiver(clock).start()
    try:
        admin = as_caller("ops", Role.ADMIN)
        created = api.CreateWebhookSubscription(
            pb.CreateWebhookSubscriptionRequest(url=receiver.url, event_types=[ASSIGNED]),
            metadata=admin,
        )
        receiver.secret = created.secret
        # The broker outlives this test: earlier tests' events are on the topic too, so this
        # one's people and petition are its own.
        suffix = uuid.uuid4().hex[:8]
        petition_id, assignee = f"p-{suffix}", f"worker-{suffix}"
        assignee_email, reporter_email = f"{assignee}@gov.example", f"res-{suffix}@mail.example"
        org.members.append(
            member(assignee, "G-01-01-01", grid_pb2.MEMBER_ROLE_GRID_WORKER, email=assignee_email)
        )
        org.reporters[petition_id] = [
            petition_pb2.ReporterContact(
                reporter_id=f"res-{suffix}", email=reporter_email, language="en"
            )
        ]
        partition, offset = publish(broker, assignment(petition_id, assignee, clock.now()), 3)
        consume_until(broker, store, notifier, partition, offset)

        worker = make_worker()
        assert worker.run_once() >= 3  # the assignee's email, the reporter's email, the webhook
        assert worker.run_once() == 0

        (mail,) = smtp.to(assignee_email)
        assert mail["Subject"] == "新诉求待核实"
        assert "G-01-01-01" in mail.get_content()
        assert mail["Message-ID"] == f"<{mail['X-GridPlus-Delivery']}@gridplus.notification>"
        (reporter_mail,) = smtp.to(reporter_email)
        assert reporter_mail["Subject"] == "Petition accepted"

        (post,) = [p for p in receiver.received if p.json()["data"]["petition_id"] == petition_id]
        document = post.json()
        assert document["type"] == ASSIGNED
        assert document["data"]["petition_id"] == petition_id
        assert document["data"]["assignee_id"] == assignee
        assert post.headers["x-gridplus-signature"].startswith("v1=")
        assert receiver.refused == [] and receiver.repeats == 0

        statuses = api.ListDeliveries(
            pb.ListDeliveriesRequest(petition_id=petition_id), metadata=admin
        ).deliveries
        assert sorted((d.channel, d.status) for d in statuses) == [
            (pb.CHANNEL_EMAIL, pb.DELIVERY_STATUS_SENT),
            (pb.CHANNEL_EMAIL, pb.DELIVERY_STATUS_SENT),
            (pb.CHANNEL_WEBHOOK, pb.DELIVERY_STATUS_SENT),
        ]
    finally:
        receiver.stop()

    own = as_caller(assignee)
    listed = api.ListInbox(pb.ListInboxRequest(recipient_id=assignee), metadata=own)
    assert listed.unread_count == 1
    (item,) = listed.items
    assert item.petition_id == petition_id
    assert item.event_type == ASSIGNED
    assert item.title == "新诉求待核实"
    assert not item.read

    marked = api.MarkRead(
        pb.MarkReadRequest(recipient_id=assignee, item_ids=[item.id]), metadata=own
    )
    assert marked.unread_count == 0
    assert (
        api.CountUnread(pb.CountUnreadRequest(recipient_id=assignee), metadata=own).unread_count
        == 0
    )

    someone_else = as_caller("worker-8")
    with pytest.raises(grpc.RpcError) as refused:
        api.ListInbox(pb.ListInboxRequest(recipient_id=assignee), metadata=someone_else)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
