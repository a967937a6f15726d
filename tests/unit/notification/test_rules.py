"""Who is told what, per event type (pure rules: intents, then notices per recipient language)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from gridplus.notification.domain import events, rules
from gridplus.notification.domain.audience import (
    DepartmentPeople,
    GridChiefs,
    Person,
    Reporters,
)
from gridplus.notification.domain.notices import Channel, Notice, NoticeKind, Recipient
from gridplus.notification.domain.rules import ChannelPolicy

GRID = "G-01-02-07"


def at(hour: int = 9) -> datetime:
    return datetime(2025, 3, 4, hour, 30, tzinfo=UTC)


def assigned(**overrides: object) -> events.PetitionAssigned:
    fields: dict[str, object] = {
        "petition_id": "p-42",
        "grid_code": GRID,
        "assignee_id": "worker-7",
        "deadline": at(),
    }
    fields.update(overrides)
    return events.PetitionAssigned(**fields)  # type: ignore[arg-type]


def test_an_assignment_tells_the_assignee_and_the_reporters() -> None:
    work, routed = rules.intents_for(assigned())
    assert work.kind == NoticeKind.PETITION_ASSIGNED
    assert work.audiences == (Person("worker-7", "G-01-02-07"),)
    assert routed.kind == NoticeKind.PETITION_ROUTED
    assert routed.audiences == (Reporters("p-42"),)


def test_the_assignee_notice_is_in_chinese_by_default() -> None:
    work = rules.intents_for(assigned())[0]
    assert rules.notices(work, [Recipient("worker-7")]) == [
        Notice(
            recipient_id="worker-7",
            kind=NoticeKind.PETITION_ASSIGNED,
            petition_id="p-42",
            title="新诉求待核实",
            body="网格 G-01-02-07 有一条新诉求分派给您，请在 2025-03-04 09:30 UTC 前完成核实。",
        )
    ]


def test_each_recipient_reads_their_own_language_once() -> None:
    work = rules.intents_for(assigned())[0]
    made = rules.notices(
        work,
        [Recipient("a", language="en-GB"), Recipient("b", language="zh"), Recipient("a")],
    )
    assert [(n.recipient_id, n.title) for n in made] == [
        ("a", "New petition to verify"),
        ("b", "新诉求待核实"),
    ]
    assert "2025-03-04 09:30 UTC" in made[0].body


def test_a_deadline_in_another_zone_is_told_in_utc() -> None:
    local = datetime(2025, 3, 4, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    work = rules.intents_for(assigned(deadline=local))[0]
    (notice,) = rules.notices(work, [Recipient("x", language="en")])
    assert "2025-03-04 09:30 UTC" in notice.body


def test_an_unknown_deadline_is_a_question_mark() -> None:
    work = rules.intents_for(assigned(deadline=None))[0]
    assert work.values["deadline"] == "?"


def test_an_assignment_without_an_assignee_tells_only_the_reporters() -> None:
    (only,) = rules.intents_for(assigned(assignee_id=""))
    assert only.kind == NoticeKind.PETITION_ROUTED


def test_overdue_goes_to_assignee_grid_chief_and_department() -> None:
    overdue = events.PetitionOverdue("p-1", GRID, "w-1", "roads", at())
    (intent,) = rules.intents_for(overdue)
    assert intent.audiences == (
        Person("w-1", "G-01-02-07"),
        GridChiefs("G-01-02-07"),
        DepartmentPeople("roads", "G-01-02-07"),
    )


def test_a_whistle_summons_each_department_with_its_staff() -> None:
    whistle = events.WhistleBlown("p-1", GRID, ("roads", "water"), None)
    (intent,) = rules.intents_for(whistle)
    assert intent.audiences == (
        DepartmentPeople("roads", "G-01-02-07", staff=True),
        DepartmentPeople("water", "G-01-02-07", staff=True),
    )


def test_residents_hear_of_resolution_and_closure_but_not_every_step() -> None:
    def kinds(status: str) -> list[NoticeKind]:
        change = events.PetitionStatusChanged(petition_id="p-1", to_status=status)
        return [intent.kind for intent in rules.intents_for(change)]

    assert kinds("resolved") == [NoticeKind.PETITION_RESOLVED]
    assert kinds("closed") == [NoticeKind.PETITION_CLOSED]
    assert kinds("rejected") == [NoticeKind.PETITION_REJECTED]
    assert kinds("verified") == []


def test_a_merge_tells_the_reporters_who_came_through_the_duplicate() -> None:
    merged = events.PetitionMerged(petition_id="p-dup", survivor_id="p-main")
    (intent,) = rules.intents_for(merged)
    assert intent.audiences == (Reporters("p-main", via_duplicate_only=True),)
    (notice,) = rules.notices(intent, [Recipient("r-1", language="en")])
    assert "p-dup" in notice.body and "p-main" in notice.body


def test_disabled_kinds_are_not_sent() -> None:
    kinds = [i.kind for i in rules.intents_for(assigned(), [NoticeKind.PETITION_ROUTED])]
    assert kinds == [NoticeKind.PETITION_ASSIGNED]


def test_every_fact_has_a_rule() -> None:
    assert set(rules.RULES) == set(events.Fact.__args__)  # type: ignore[attr-defined]


def test_an_assignment_without_a_grid_says_so_in_the_text() -> None:
    work = rules.intents_for(assigned(grid_code=""))[0]
    assert work.values["grid_code"] == "?"


def test_channels_follow_configuration_contacts_and_kind() -> None:
    full = Recipient("p", email="p@example.org", phone="13800000000")
    policy = ChannelPolicy(email=True, sms=True, sms_kinds=frozenset({NoticeKind.PETITION_OVERDUE}))
    assert rules.channels_for(full, NoticeKind.PETITION_OVERDUE, policy) == [
        Channel.INBOX,
        Channel.EMAIL,
        Channel.SMS,
    ]
    assert rules.channels_for(full, NoticeKind.PETITION_ASSIGNED, policy) == [
        Channel.INBOX,
        Channel.EMAIL,
    ]
    assert rules.channels_for(Recipient("p"), NoticeKind.PETITION_OVERDUE, policy) == [
        Channel.INBOX
    ]
    assert rules.channels_for(full, NoticeKind.PETITION_OVERDUE, ChannelPolicy()) == [Channel.INBOX]


def test_a_recipient_shows_no_contacts_when_printed() -> None:
    assert "13800000000" not in repr(Recipient("p", email="a@b.c", phone="13800000000"))
