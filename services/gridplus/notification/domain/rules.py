"""Which notices an event causes, and for whom.

RULES maps a fact (domain/events.py: the plain value messaging/ makes of an event) to a rule: a
function of the fact that returns intents — a notice kind, the audiences to tell, and the
template values. Rules are pure: people are looked up afterwards (handlers/recipients.py) and
the text is rendered per recipient language (`notices`). To notify on another event, add its
fact, its conversion in api/convert.py, its rule, and one line to RULES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gridplus.notification.domain import events
from gridplus.notification.domain.audience import (
    Audience,
    DepartmentPeople,
    GridChiefs,
    GridWorkers,
    Person,
    Reporters,
)
from gridplus.notification.domain.notices import Channel, Notice, NoticeKind, Recipient
from gridplus.notification.domain.templates import EN, ZH_CN, care_group_names, language_of, render


@dataclass(frozen=True)
class Intent:
    """Tell `audiences` about one fact, as notice `kind` filled with `values`."""

    kind: NoticeKind
    audiences: tuple[Audience, ...]
    petition_id: str
    values: Mapping[str, str] = field(default_factory=dict)
    # Values worded per template language (zh-CN, en), under the same names in both.
    localized: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


Rule = Callable[[Any], list[Intent]]


def petition_assigned(fact: events.PetitionAssigned) -> list[Intent]:
    grid = fact.grid_code
    values = {"grid_code": grid or "?", "deadline": _when(fact.deadline)}
    values["petition_id"] = fact.petition_id
    intents = [
        Intent(NoticeKind.PETITION_ROUTED, (Reporters(fact.petition_id),), fact.petition_id, values)
    ]
    if fact.assignee_id:
        assignee = Person(fact.assignee_id, grid)
        intents.insert(
            0, Intent(NoticeKind.PETITION_ASSIGNED, (assignee,), fact.petition_id, values)
        )
    return intents


_STATUS_KINDS = {
    "resolved": NoticeKind.PETITION_RESOLVED,
    "closed": NoticeKind.PETITION_CLOSED,
    "rejected": NoticeKind.PETITION_REJECTED,
}


def petition_status_changed(fact: events.PetitionStatusChanged) -> list[Intent]:
    kind = _STATUS_KINDS.get(fact.to_status)
    if kind is None:
        return []
    values = {"petition_id": fact.petition_id}
    return [Intent(kind, (Reporters(fact.petition_id),), fact.petition_id, values)]


def petition_merged(fact: events.PetitionMerged) -> list[Intent]:
    # The duplicate's reporters now follow the survivor: ask petition for those of the survivor
    # who came through a duplicate.
    values = {"petition_id": fact.petition_id, "survivor_id": fact.survivor_id}
    audience = Reporters(fact.survivor_id, via_duplicate_only=True)
    return [Intent(NoticeKind.PETITION_MERGED, (audience,), fact.petition_id, values)]


def petition_overdue(fact: events.PetitionOverdue) -> list[Intent]:
    grid = fact.grid_code
    audiences: list[Audience] = [GridChiefs(grid)] if grid else []
    if fact.assignee_id:
        audiences.insert(0, Person(fact.assignee_id, grid))
    if fact.department_code:
        audiences.append(DepartmentPeople(fact.department_code, grid))
    values = {
        "petition_id": fact.petition_id,
        "grid_code": grid or "?",
        "deadline": _when(fact.deadline),
    }
    return [Intent(NoticeKind.PETITION_OVERDUE, tuple(audiences), fact.petition_id, values)]


def petition_escalated(fact: events.PetitionEscalated) -> list[Intent]:
    grid = fact.grid_code
    values = {"petition_id": fact.petition_id, "grid_code": grid or "?", "rung": str(fact.rung)}
    audiences = tuple(Person(person_id, grid) for person_id in fact.person_ids)
    return [Intent(NoticeKind.PETITION_ESCALATED, audiences, fact.petition_id, values)]


def assignment_transferred(fact: events.AssignmentTransferred) -> list[Intent]:
    if not fact.to_assignee_id:
        return []
    values = {"petition_id": fact.petition_id}
    audience = (Person(fact.to_assignee_id),)
    return [Intent(NoticeKind.ASSIGNMENT_TRANSFERRED, audience, fact.petition_id, values)]


def assignment_refused(fact: events.AssignmentRefused) -> list[Intent]:
    if not fact.arbitrator_id:
        return []
    values = {
        "petition_id": fact.petition_id,
        "department_code": fact.department_code or "?",
        "count": str(fact.refusal_count),
    }
    audience = (Person(fact.arbitrator_id),)
    return [Intent(NoticeKind.ASSIGNMENT_REFUSED, audience, fact.petition_id, values)]


def whistle_blown(fact: events.WhistleBlown) -> list[Intent]:
    grid = fact.grid_code
    audiences = tuple(DepartmentPeople(code, grid, staff=True) for code in fact.department_codes)
    values = {
        "petition_id": fact.petition_id,
        "grid_code": grid or "?",
        "deadline": _when(fact.report_deadline),
    }
    return [Intent(NoticeKind.WHISTLE_BLOWN, audiences, fact.petition_id, values)]


def whistle_report_overdue(fact: events.WhistleReportOverdue) -> list[Intent]:
    values = {
        "petition_id": fact.petition_id,
        "department_code": fact.department_code or "?",
        "deadline": _when(fact.deadline),
    }
    audience = (DepartmentPeople(fact.department_code),)
    return [Intent(NoticeKind.WHISTLE_REPORT_OVERDUE, audience, fact.petition_id, values)]


def care_visit_overdue(fact: events.CareVisitOverdue) -> list[Intent]:
    """The grid's workers and its chief: which household and care member, which groups, since
    when due. Ids and codes only, never the member's name or address."""
    grid = fact.grid_code
    if not grid:
        return []
    values = {
        "grid_code": grid,
        "household_id": fact.household_id or "?",
        "member_id": fact.member_id or "?",
        "due_at": _when(fact.due_at),
    }
    last = fact.last_visited_at
    localized = {
        language: {
            "groups": care_group_names(fact.care_groups, language),
            "last_visit": (never if last is None else seen.format(when=_when(last))),
        }
        for language, never, seen in (
            (ZH_CN, "从未走访", "上次走访于 {when}"),
            (EN, "never visited", "last visited {when}"),
        )
    }
    audiences = (GridWorkers(grid), GridChiefs(grid))
    return [Intent(NoticeKind.CARE_VISIT_OVERDUE, audiences, "", values, localized)]


def grid_digest_ready(fact: events.GridDigestReady) -> list[Intent]:
    """The grid's chiefs: the week's petitions, busiest categories, repeat locations and visits."""
    if not fact.grid_code:
        return []
    values = {
        "grid_code": fact.grid_code,
        "period": _period(fact.period_start, fact.period_end),
        "submitted": str(fact.petitions_submitted),
        "closed": str(fact.petitions_closed),
        "repeat_locations": str(fact.repeat_locations),
        "coverage": _share(fact.visit_coverage),
        "overdue": str(fact.care_visits_overdue),
    }
    on_time = fact.care_visits_on_time
    localized = {
        ZH_CN: {
            "categories": "；".join(_category_zh(c) for c in fact.top_categories) or "无",
            "on_time": _share(on_time) if on_time >= 0 else "本周无到期走访",
        },
        EN: {
            "categories": "; ".join(_category_en(c) for c in fact.top_categories) or "none",
            "on_time": _share(on_time) if on_time >= 0 else "none due",
        },
    }
    audience = (GridChiefs(fact.grid_code),)
    return [Intent(NoticeKind.GRID_DIGEST, audience, "", values, localized)]


def _category_zh(category: events.DigestCategory) -> str:
    rising = "，上升" if category.rising else ""
    return f"{category.category} {category.count} 件（上周 {category.previous_count}{rising}）"


def _category_en(category: events.DigestCategory) -> str:
    rising = ", rising" if category.rising else ""
    return f"{category.category} {category.count} (week before {category.previous_count}{rising})"


def _share(value: float) -> str:
    return f"{max(0.0, min(1.0, value)):.0%}"


def _period(start: datetime | None, end: datetime | None) -> str:
    """The week as dates, end inclusive ("2026-11-23 – 2026-11-29"), in UTC."""
    if start is None or end is None:
        return "?"
    last = (end - timedelta(microseconds=1)).astimezone(UTC)
    return f"{start.astimezone(UTC):%Y-%m-%d} – {last:%Y-%m-%d}"


RULES: dict[type[Any], Rule] = {
    events.PetitionAssigned: petition_assigned,
    events.PetitionStatusChanged: petition_status_changed,
    events.PetitionMerged: petition_merged,
    events.PetitionOverdue: petition_overdue,
    events.PetitionEscalated: petition_escalated,
    events.AssignmentTransferred: assignment_transferred,
    events.AssignmentRefused: assignment_refused,
    events.WhistleBlown: whistle_blown,
    events.WhistleReportOverdue: whistle_report_overdue,
    events.CareVisitOverdue: care_visit_overdue,
    events.GridDigestReady: grid_digest_ready,
}


def intents_for(fact: events.Fact, disabled: Iterable[NoticeKind] = ()) -> list[Intent]:
    """The intents `fact` causes; none for facts without a rule or disabled kinds."""
    rule = RULES.get(type(fact))
    if rule is None:
        return []
    off = set(disabled)
    return [intent for intent in rule(fact) if intent.kind not in off and intent.audiences]


def notices(intent: Intent, recipients: Iterable[Recipient]) -> list[Notice]:
    """One notice per distinct recipient, each in the recipient's own language."""
    seen: set[str] = set()
    made: list[Notice] = []
    for recipient in recipients:
        if recipient.person_id in seen or not recipient.person_id:
            continue
        seen.add(recipient.person_id)
        worded = intent.localized.get(language_of(recipient.language), {})
        title, body = render(intent.kind, recipient.language, **intent.values, **worded)
        made.append(Notice(recipient.person_id, intent.kind, intent.petition_id, title, body))
    return made


def _when(instant: datetime | None) -> str:
    # Recipients' time zones come with their profiles later; until then say UTC explicitly.
    if instant is None:
        return "?"
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class ChannelPolicy:
    """Which channels are configured, and which kinds are worth an SMS."""

    email: bool = False
    sms: bool = False
    sms_kinds: frozenset[NoticeKind] = frozenset()
    disabled_kinds: frozenset[NoticeKind] = frozenset()


def channels_for(recipient: Recipient, kind: NoticeKind, policy: ChannelPolicy) -> list[Channel]:
    """The inbox always; email and SMS when configured and the recipient has the contact."""
    channels = [Channel.INBOX]
    if policy.email and recipient.email:
        channels.append(Channel.EMAIL)
    if policy.sms and recipient.phone and kind in policy.sms_kinds:
        channels.append(Channel.SMS)
    return channels
