"""Issue 16: an overdue care visit tells the grid's workers and its chief; a weekly digest tells
the grid's chiefs. Facts read from the events, who is told, and what they read in each language
(ids and codes only: never a care member's name)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.events import Event
from gridplus.notification.api.convert import received
from gridplus.notification.config import DEFAULT_SMS_KINDS
from gridplus.notification.domain import events, rules
from gridplus.notification.domain.audience import GridChiefs, GridWorkers, Member
from gridplus.notification.domain.notices import Channel, NoticeKind, Recipient
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.recipients import RecipientLookup
from tests.unit.notification.fakes import FakeDirectory

GRID = "G-01-01-01"
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
LAST = DUE - timedelta(days=7)
WEEK = datetime(2026, 11, 23, tzinfo=UTC)


def event(payload: object, key: str = "m-1") -> Event:
    return Event.create(payload, key=key, source="/gridplus/dispatch", time=DUE)  # type: ignore[arg-type]


def overdue_event(**overrides: object) -> events_pb2.CareVisitOverdue:
    payload = events_pb2.CareVisitOverdue(
        member_id="m-1",
        household_id="hh-42",
        grid_code=GRID,
        care_groups=["ELDERLY_ALONE", "DISABLED"],
    )
    payload.due_at.FromDatetime(DUE)
    payload.last_visited_at.FromDatetime(LAST)
    for name, value in overrides.items():
        setattr(payload, name, value)
    return payload


def digest_event() -> events_pb2.GridDigestReady:
    payload = events_pb2.GridDigestReady(
        grid_code=GRID,
        petitions_submitted=23,
        petitions_closed=19,
        top_categories=[
            events_pb2.DigestCategoryCount(
                category="road.manhole", count=9, previous_count=2, rising=True
            ),
            events_pb2.DigestCategoryCount(category="noise", count=4, previous_count=5),
        ],
        repeat_locations=2,
        visit_coverage=0.874,
        care_visits_on_time=0.5,
        care_visits_overdue=3,
    )
    payload.period_start.FromDatetime(WEEK)
    payload.period_end.FromDatetime(WEEK + timedelta(days=7))
    return payload


def test_an_overdue_care_visit_becomes_its_fact() -> None:
    got = received(event(overdue_event()))
    assert got.petition_id == ""
    assert got.fact == events.CareVisitOverdue(
        "m-1", "hh-42", GRID, ("ELDERLY_ALONE", "DISABLED"), DUE, LAST
    )
    never = overdue_event()
    never.ClearField("last_visited_at")
    fact = received(event(never)).fact
    assert isinstance(fact, events.CareVisitOverdue) and fact.last_visited_at is None


def test_an_overdue_care_visit_tells_the_grids_workers_and_chief_in_their_language() -> None:
    fact = received(event(overdue_event())).fact
    assert fact is not None
    [intent] = rules.intents_for(fact)
    assert intent.kind == NoticeKind.CARE_VISIT_OVERDUE
    assert intent.audiences == (GridWorkers(GRID), GridChiefs(GRID))
    zh, en = rules.notices(intent, [Recipient("worker-7"), Recipient("chief-3", language="en")])
    assert zh.title == "特殊人群走访逾期（红灯）"
    assert zh.body == (
        "网格 G-01-01-01 住户 hh-42 的关爱对象 m-1（独居老人、残疾人）应于 2026-11-30 08:00 UTC "
        "前走访，现已逾期；上次走访于 2026-11-23 08:00 UTC。请尽快入户走访。"
    )
    assert en.title == "Care visit overdue (red)"
    assert en.body == (
        "Care member m-1 (elderly living alone, person with disabilities) of household hh-42 "
        "in grid G-01-01-01 was due a visit by 2026-11-30 08:00 UTC and is overdue; "
        "last visited 2026-11-23 08:00 UTC. Please visit soon."
    )
    assert (zh.petition_id, en.petition_id) == ("", "")


def test_a_member_never_visited_and_a_configured_group_are_said_so() -> None:
    payload = overdue_event()
    payload.ClearField("last_visited_at")
    payload.care_groups[:] = ["NIGHT_SHIFT_PARENTS"]
    fact = received(event(payload)).fact
    assert fact is not None
    [intent] = rules.intents_for(fact)
    zh, en = rules.notices(intent, [Recipient("a"), Recipient("b", language="en")])
    assert "（NIGHT_SHIFT_PARENTS）" in zh.body and "从未走访" in zh.body
    assert "(NIGHT_SHIFT_PARENTS)" in en.body and "never visited" in en.body


def test_an_overdue_care_visit_without_a_grid_tells_nobody() -> None:
    fact = received(event(overdue_event(grid_code=""))).fact
    assert fact is not None
    assert rules.intents_for(fact) == []


def test_care_visits_go_out_by_sms_by_default_and_digests_do_not() -> None:
    policy = ChannelPolicy(email=True, sms=True, sms_kinds=frozenset(DEFAULT_SMS_KINDS))
    person = Recipient("w", email="w@example.org", phone="13900000007")
    assert rules.channels_for(person, NoticeKind.CARE_VISIT_OVERDUE, policy) == [
        Channel.INBOX,
        Channel.EMAIL,
        Channel.SMS,
    ]
    assert rules.channels_for(person, NoticeKind.GRID_DIGEST, policy) == [
        Channel.INBOX,
        Channel.EMAIL,
    ]


def test_the_grids_workers_are_its_own_workers_only() -> None:
    chain = [
        Member("chief-1", "G-01", "grid_chief"),
        Member("worker-1", "G-01", "grid_worker"),
        Member("chief-3", GRID, "grid_chief", email="c3@example.org"),
        Member("worker-7", GRID, "grid_worker", phone="13900000007"),
        Member("worker-8", GRID, "grid_worker"),
        Member("unit-chief", GRID, "unit_chief"),
    ]
    lookup = RecipientLookup(FakeDirectory(chains={GRID: chain}))
    told = lookup.recipients([GridWorkers(GRID), GridChiefs(GRID)])
    assert [r.person_id for r in told] == ["worker-7", "worker-8", "chief-3"]
    assert told[0].phone == "13900000007"


def test_a_digest_tells_the_chiefs_a_readable_summary() -> None:
    got = received(event(digest_event(), key=GRID))
    assert isinstance(got.fact, events.GridDigestReady)
    assert got.fact.top_categories[0] == events.DigestCategory("road.manhole", 9, 2, True)
    [intent] = rules.intents_for(got.fact)
    assert (intent.kind, intent.audiences) == (NoticeKind.GRID_DIGEST, (GridChiefs(GRID),))
    zh, en = rules.notices(intent, [Recipient("chief-3"), Recipient("chief-4", language="en")])
    assert zh.title == "网格 G-01-01-01 周报（2026-11-23 – 2026-11-29）"
    assert zh.body.splitlines() == [
        "网格 G-01-01-01 本周（2026-11-23 – 2026-11-29）：新增诉求 23 件，办结 19 件。",
        "热点类别：road.manhole 9 件（上周 2，上升）；noise 4 件（上周 5）",
        "重复发生地点：2 处",
        "住户走访覆盖率：87%；特殊人群按时走访率：50%；逾期未访的关爱对象：3 人。",
    ]
    assert en.title == "Weekly digest of grid G-01-01-01 (2026-11-23 – 2026-11-29)"
    assert en.body.splitlines() == [
        "Grid G-01-01-01, week 2026-11-23 – 2026-11-29: 23 petitions submitted, 19 closed.",
        "Busiest categories: road.manhole 9 (week before 2, rising); noise 4 (week before 5)",
        "Repeat locations: 2",
        "Households visited: 87%; care visits on time: 50%; care members overdue for a visit: 3.",
    ]


def test_a_quiet_week_says_none_rather_than_nothing() -> None:
    quiet = events_pb2.GridDigestReady(grid_code=GRID, care_visits_on_time=-1)
    fact = received(event(quiet, key=GRID)).fact
    assert fact is not None
    [intent] = rules.intents_for(fact)
    zh, en = rules.notices(intent, [Recipient("a"), Recipient("b", language="en")])
    assert "热点类别：无" in zh.body and "本周无到期走访" in zh.body
    assert "Busiest categories: none" in en.body and "on time: none due" in en.body
    assert "(?)" in en.title  # no period sent: not a made-up week
