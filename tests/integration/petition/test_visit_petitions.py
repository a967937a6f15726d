"""Issue 16: a household visit's finding raises a petition (source VISIT) on a real database
(SQLite and PostgreSQL), through dispatch's VisitRecorded — by the consumer's handler table, and
end to end through a real broker with the kit's consumer, where the same event delivered twice
raises the petition once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from flask.testing import FlaskClient
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import visits_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.events import encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.topology import dlq_topic, events_topic
from gridplus.petition.api.convert import timestamp
from gridplus.petition.domain.visits import visit_petition_id
from gridplus.petition.messaging.consumers import dispatch_handlers
from tests.integration.petition.conftest import T0, Store, as_caller, assigned, bearer, deliver
from tests.support.broker import Broker
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration

DISPATCH_TOPIC = events_topic("dispatch")
VISITED_AT = T0 - timedelta(hours=2)
CHIEF = as_caller("chief-1", Role.GRID_CHIEF, grids=("G1-2",))


def visit_recorded(visit_id: str) -> events_pb2.VisitRecorded:
    """A visit with three findings: the first and third raise petitions, the second does not."""
    return events_pb2.VisitRecorded(
        visit_id=visit_id,
        household_id="hh-42",
        grid_code="G1-2-3",
        worker_id="worker-7",
        visited_at=timestamp(VISITED_AT),
        location=common_pb2.GeoPoint(lat=39.91, lon=116.41),
        findings=[
            visits_pb2.VisitFinding(
                index=1,
                category="road.manhole",
                title="井盖松动",
                description="二号楼门口井盖松动，有老人绊倒",
                raise_petition=True,
                petition_id=visit_petition_id(visit_id, 1),
            ),
            visits_pb2.VisitFinding(index=2, title="家中一切正常", raise_petition=False),
            visits_pb2.VisitFinding(
                index=3,
                title="楼道堆物",
                raise_petition=True,
                petition_id=visit_petition_id(visit_id, 3),
            ),
        ],
        photo_count=1,
    )


def test_a_finding_raises_a_visit_petition_that_staff_read_with_its_visit(
    store: Store, stub: petition_pb2_grpc.PetitionServiceStub, client: FlaskClient
) -> None:
    visit_id = f"visit-{uuid.uuid4().hex[:8]}"
    first, third = visit_petition_id(visit_id, 1), visit_petition_id(visit_id, 3)

    deliver(store, visit_recorded(visit_id), visit_id)

    assert store.petition_count() == 2  # the finding without raise_petition raised nothing
    submitted = {e.petition_id: e for e in store.events(events_pb2.PetitionSubmitted)}
    assert set(submitted) == {first, third}
    event = submitted[first]
    assert event.source == petition_pb2.PETITION_SOURCE_VISIT
    assert (event.visit.visit_id, event.visit.finding_index) == (visit_id, 1)
    assert (event.visit.grid_code, event.visit.worker_id) == ("G1-2-3", "worker-7")
    assert event.reporter_id == "worker-7"
    assert (event.location.lat, event.location.lon) == (39.91, 116.41)
    assert event.submitted_at.ToDatetime(tzinfo=UTC) == VISITED_AT
    assert submitted[third].visit.finding_index == 3

    # The worker reads what they raised at once; the grid's chief once dispatch routed it.
    worker = as_caller("worker-7", Role.GRID_WORKER, grids=("G1-2-3",))
    own = stub.GetPetition(
        petition_pb2.GetPetitionRequest(id=first), metadata=worker, timeout=5
    ).petition
    assert (own.visit_id, own.source, own.title) == (
        visit_id,
        petition_pb2.PETITION_SOURCE_VISIT,
        "井盖松动",
    )
    assert own.status == petition_pb2.PETITION_STATUS_SUBMITTED
    assert not own.HasField("reporter_contact")  # a staff reporter: no resident contact
    deliver(store, assigned(first, T0 + timedelta(hours=4)), first)
    shown = stub.GetPetition(
        petition_pb2.GetPetitionRequest(id=first), metadata=CHIEF, timeout=5
    ).petition
    assert (shown.status, shown.grid.code) == (petition_pb2.PETITION_STATUS_ASSIGNED, "G1-2-3")
    assert shown.visit_id == visit_id
    listed = stub.ListPetitions(
        petition_pb2.ListPetitionsRequest(grid_code="G1-2-3"), metadata=CHIEF, timeout=5
    )
    assert [(p.id, p.visit_id) for p in listed.petitions] == [(first, visit_id)]

    # Staff JSON names the channel; a resident and another grid's worker find nothing.
    staff = client.get(f"/api/v1/petitions/{first}", headers=bearer("admin-1", Role.ADMIN))
    assert staff.get_json()["source"] == "VISIT"
    resident = client.get(f"/api/v1/petitions/{first}", headers=bearer("resident-a"))
    assert resident.status_code == 404
    stranger = as_caller("worker-9", Role.GRID_WORKER, grids=("G9",))
    with pytest.raises(grpc.RpcError) as hidden:
        stub.GetPetition(petition_pb2.GetPetitionRequest(id=first), metadata=stranger, timeout=5)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    # Open311's public view still answers for it, without its private text.
    public = client.get(f"/open311/v2/requests/{first}.json")
    assert public.status_code == 200
    [request] = public.get_json()
    assert request["service_request_id"] == first
    assert "老人" not in public.get_data(as_text=True)


def test_a_visit_delivered_again_raises_nothing_new(store: Store) -> None:
    visit_id = f"visit-{uuid.uuid4().hex[:8]}"
    deliver(store, visit_recorded(visit_id), visit_id)
    before = store.events(events_pb2.PetitionSubmitted)

    # Published again under a new event id (the kit's dedup does not see it): still once.
    deliver(store, visit_recorded(visit_id), visit_id)

    assert store.petition_count() == 2
    assert store.events(events_pb2.PetitionSubmitted) == before


def test_a_visit_without_petitions_to_raise_changes_nothing(store: Store) -> None:
    payload = visit_recorded("visit-quiet")
    for finding in payload.findings:
        finding.raise_petition = False

    deliver(store, payload, "visit-quiet")

    assert store.petition_count() == 0
    assert store.events(events_pb2.PetitionSubmitted) == []


def test_a_visit_claiming_a_residents_petition_fails_and_changes_nothing(
    store: Store, client: FlaskClient
) -> None:
    body = {"title": "噪音扰民", "description": "", "lat": 39.9, "lon": 116.4}
    filed = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    resident_petition = str(filed.get_json()["id"])
    payload = visit_recorded("visit-forged")
    payload.findings[0].petition_id = resident_petition

    with pytest.raises(InvalidArgument, match=r"findings\[0\]\.petition_id"):
        deliver(store, payload, "visit-forged")  # the kit retries, then dead-letters it

    assert store.petition_count() == 1
    mine = client.get(f"/api/v1/petitions/{resident_petition}", headers=bearer("resident-a"))
    assert (mine.get_json()["source"], mine.get_json()["title"]) == ("RESIDENT", "噪音扰民")


def publish_twice(broker: Broker, payload: events_pb2.VisitRecorded) -> tuple[int, int]:
    """The same event (same ce_id) twice, as after a relay resend; (partition, last offset)."""
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
                key=payload.visit_id.encode(),
                value=payload.SerializeToString(),
                headers=headers,
            ).get(timeout=10)
            for _ in range(2)
        ]
    finally:
        producer.close()
    return sent[-1].partition, sent[-1].offset


def test_through_the_broker_a_visit_delivered_twice_raises_its_petitions_once(
    store: Store, broker: Broker
) -> None:
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
    ensure_topics(settings, [DISPATCH_TOPIC, dlq_topic(DISPATCH_TOPIC)])
    visit_id = f"visit-{uuid.uuid4().hex[:8]}"
    partition, offset = publish_twice(broker, visit_recorded(visit_id))
    group = f"petition-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        name=group,
        topics=[DISPATCH_TOPIC],
        handlers=dispatch_handlers(store.deps),
        sessions=store.sessions,
        consumer_factory=lambda: create_consumer(settings, group, "petition-test"),
        producer_factory=lambda: create_producer(settings, "petition-test"),
        clock=SystemClock(),
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    probe = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group)
    try:
        tp = TopicPartition(DISPATCH_TOPIC, partition)
        eventually(
            lambda: (probe.committed(tp) or -1) > offset,
            "the consumer committed past both copies",
            timeout=30,
        )
    finally:
        probe.close()
        stop.set()
        thread.join(15)

    # Other tests' events share the topic (the broker lives for the session): count this visit's.
    ids = {visit_petition_id(visit_id, 1), visit_petition_id(visit_id, 3)}
    raised = [e for e in store.events(events_pb2.PetitionSubmitted) if e.petition_id in ids]
    assert sorted(e.petition_id for e in raised) == sorted(ids)
    assert all(e.visit.visit_id == visit_id for e in raised)
