"""Who is told what when dispatch assigns a petition."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.notification.domain import rules
from gridplus.notification.domain.notices import Notice, NoticeKind


def assigned(**overrides: object) -> events_pb2.PetitionAssigned:
    deadline = Timestamp()
    deadline.FromDatetime(datetime(2025, 3, 4, 9, 30, tzinfo=UTC))
    fields: dict[str, object] = {
        "petition_id": "p-42",
        "grid": common_pb2.GridRef(code="G-01-02-07", level=3, path=["G-01", "G-01-02"]),
        "assignee_id": "worker-7",
        "category": "street_light",
        "deadline": deadline,
        "reasons": ["the point lies in grid G-01-02-07"],
    }
    fields.update(overrides)
    return events_pb2.PetitionAssigned(**fields)  # type: ignore[arg-type]


def test_the_assignee_gets_one_notice_to_verify_in_chinese_by_default() -> None:
    notices = rules.notices_for(assigned())
    assert notices == [
        Notice(
            recipient_id="worker-7",
            kind=NoticeKind.PETITION_ASSIGNED,
            petition_id="p-42",
            title="新诉求待核实",
            body="网格 G-01-02-07 有一条新诉求分派给您，请在 2025-03-04 09:30 UTC 前完成核实。",
        )
    ]


def test_the_notice_can_be_in_english() -> None:
    (notice,) = rules.notices_for(assigned(), "en")
    assert notice.title == "New petition to verify"
    assert "G-01-02-07" in notice.body
    assert "2025-03-04 09:30 UTC" in notice.body


def test_the_notice_names_no_personal_data_from_the_event() -> None:
    (notice,) = rules.notices_for(assigned(reasons=["reporter 张三 13812341234 said so"]))
    text = notice.title + notice.body
    assert "张三" not in text
    assert "1381234" not in text


def test_an_assignment_without_an_assignee_tells_nobody() -> None:
    assert rules.notices_for(assigned(assignee_id="")) == []


def test_events_without_a_rule_cause_no_notices() -> None:
    assert rules.notices_for(events_pb2.PetitionSubmitted(petition_id="p-1")) == []


def test_rules_are_keyed_by_the_events_cloudevents_type() -> None:
    assert set(rules.RULES) == {"gridplus.events.v1.PetitionAssigned"}
