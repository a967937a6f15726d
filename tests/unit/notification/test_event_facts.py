"""Consumed protobuf events read into the plain facts the rules take, and into the webhook
document (api/convert.py: the one place notification reads the event wire format)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.events import Event
from gridplus.notification.api.convert import FACT_TYPES, received
from gridplus.notification.domain import events, rules
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.messaging.consumers import EVENT_TYPES

T = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
GRID = common_pb2.GridRef(code="G-01-02-07", level=3, path=["G-01", "G-01-02"])


def event(payload: object) -> Event:
    return Event.create(payload, key="p-1", source="/gridplus/test", time=T)  # type: ignore[arg-type]


def test_an_assignment_becomes_its_fact_with_an_aware_deadline() -> None:
    payload = events_pb2.PetitionAssigned(
        petition_id="p-42", grid=GRID, assignee_id="worker-7", category="street_light"
    )
    payload.deadline.FromDatetime(T)
    got = received(event(payload))
    assert got.fact == events.PetitionAssigned("p-42", "G-01-02-07", "worker-7", T)
    assert got.event_type == "gridplus.events.v1.PetitionAssigned"
    assert got.petition_id == "p-42"
    assert got.time == T


def test_a_missing_timestamp_is_none_not_the_epoch() -> None:
    got = received(event(events_pb2.WhistleReportOverdue(petition_id="p-1", department_code="r")))
    assert got.fact == events.WhistleReportOverdue("p-1", "r", None)


def test_statuses_are_read_by_name() -> None:
    def status(value: int) -> str:
        change = events_pb2.PetitionStatusChanged(petition_id="p-1", to_status=value)  # type: ignore[arg-type]
        fact = received(event(change)).fact
        assert isinstance(fact, events.PetitionStatusChanged)
        return fact.to_status

    assert status(petition_pb2.PETITION_STATUS_RESOLVED) == "resolved"
    assert status(petition_pb2.PETITION_STATUS_CLOSED) == "closed"
    assert status(petition_pb2.PETITION_STATUS_VERIFIED) == "verified"
    assert status(999) == ""


def test_repeated_fields_become_tuples() -> None:
    whistle = events_pb2.WhistleBlown(
        whistle_id="w", petition_id="p-1", grid=GRID, department_codes=["roads", "water"]
    )
    assert received(event(whistle)).fact == events.WhistleBlown(
        "p-1", "G-01-02-07", ("roads", "water"), None
    )
    escalated = events_pb2.PetitionEscalated(petition_id="p-1", rung=2, person_ids=["a", "b"])
    assert received(event(escalated)).fact == events.PetitionEscalated("p-1", "", 2, ("a", "b"))


def test_events_without_a_rule_have_no_fact_but_still_a_webhook_document() -> None:
    got = received(event(events_pb2.PetitionSubmitted(petition_id="p-1")))
    assert got.fact is None
    document = json.loads(got.webhook_document())
    assert document["specversion"] == "1.0"
    assert document["type"] == "gridplus.events.v1.PetitionSubmitted"
    assert document["data"] == {"petition_id": "p-1"}
    assert document["time"] == T.isoformat()


def test_every_fact_comes_from_a_consumed_event_type() -> None:
    assert set(EVENT_TYPES) >= FACT_TYPES
    assert len(FACT_TYPES) == len(rules.RULES)


def test_notices_name_no_personal_data_from_the_event() -> None:
    payload = events_pb2.PetitionAssigned(
        petition_id="p-42",
        grid=GRID,
        assignee_id="worker-7",
        reasons=["reporter 张三 13812341234 said so"],
    )
    fact = received(event(payload)).fact
    assert fact is not None
    assert "张三" not in repr(fact)
    for intent in rules.intents_for(fact):
        (notice,) = rules.notices(intent, [Recipient("x")])
        assert "张三" not in notice.title + notice.body
        assert "1381234" not in notice.title + notice.body
