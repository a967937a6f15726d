"""Replay done-means, with the real broker: petition, dispatch and grid-registry events
(households, household visits, missed care visits) go through Kafka to the live consumer,
residents rate, a visit and a timeout close follow-ups, inspectors assess, the weekly digest job
runs, the outbox relay publishes evaluation's own events; then a rebuild replays the four topics
into an empty database and every scorecard (coverage and care visits too), ranking, export and
weekly digest comes out identical, and the digest job there finds every digest already out."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from google.protobuf.message import Message
from kafka import KafkaProducer
from sqlalchemy import func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.api import convert
from gridplus.evaluation.domain import digest
from gridplus.evaluation.domain.assessment import AssessmentScores, AssessmentWeights
from gridplus.evaluation.domain.follow_up import FollowUpPolicy
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import Assessments, FollowUps, digests, scorecards
from gridplus.evaluation.jobs.follow_up_timeouts import FollowUpTimeouts
from gridplus.evaluation.jobs.grid_digests import GridDigests
from gridplus.evaluation.messaging.consumers import HANDLERS, REBUILD_HANDLERS
from gridplus.evaluation.messaging.replay import replay
from gridplus.kit.auth import Principal, Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer
from gridplus.kit.db import transaction
from gridplus.kit.events import encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.lease import Lease
from gridplus.kit.outbox import Outbox, OutboxRelay
from gridplus.kit.tables import processed_events
from tests.integration.evaluation.conftest import MIGRATIONS, stamp
from tests.support.broker import Broker
from tests.support.eventually import settled
from tests.support.postgres import create_database, drop_database
from tests.support.store import MigratedStore, migrated_store

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
S = petition_pb2.PetitionStatus
CONSUMER = "evaluation"


@dataclass(frozen=True)
class Topics:
    petition: str
    dispatch: str
    evaluation: str
    grid: str


class Feed:
    """Publishes events the way petition and dispatch would, and counts them."""

    def __init__(self, broker: Broker, topics: Topics) -> None:
        self.topics = topics
        self.sent = 0
        self._producer = KafkaProducer(bootstrap_servers=broker.bootstrap)

    def petition(self, payload: Message, key: str) -> None:
        self._send(self.topics.petition, payload, key)

    def dispatch(self, payload: Message, key: str) -> None:
        self._send(self.topics.dispatch, payload, key)

    def grid(self, payload: Message, key: str) -> None:
        self._send(self.topics.grid, payload, key)

    def _send(self, topic: str, payload: Message, key: str) -> None:
        headers = encode_headers(
            event_id=str(uuid.uuid4()),
            ce_type=payload.DESCRIPTOR.full_name,
            source="/gridplus/test",
            time=T0,
            traceparent=None,
        )
        self._producer.send(
            topic, key=key.encode(), value=payload.SerializeToString(), headers=headers
        )
        self.sent += 1

    def flush(self) -> None:
        self._producer.flush(10)

    def close(self) -> None:
        self._producer.close()


def path(i: int) -> list[str]:
    l1 = f"G-0{1 + i % 2}"
    l2 = f"{l1}-0{1 + i % 3}"
    return [l1, l2, f"{l2}-{i % 4:02d}"]


def status(feed: Feed, pid: str, old: int, new: int, at: datetime, actor: str = "w") -> None:
    feed.petition(
        events_pb2.PetitionStatusChanged(
            petition_id=pid,
            from_status=old,
            to_status=new,
            actor_id=actor,
            changed_at=stamp(at),  # type: ignore[arg-type]
        ),
        pid,
    )


def first_wave(feed: Feed, count: int) -> list[int]:
    """Submit, route and handle `count` petitions; returns those resolved."""
    resolved = []
    for i in range(count):
        pid, start = f"p-{i}", T0 + i * 30 * timedelta(minutes=1)
        worker, department = f"w-{i % 4}", ("D-ROADS", "D-WATER")[i % 2]
        feed.petition(
            events_pb2.PetitionSubmitted(
                petition_id=pid, reporter_id=f"r-{i}", submitted_at=stamp(start)
            ),
            pid,
        )
        grid = common_pb2.GridRef(code=path(i)[-1], level=3, path=path(i))
        feed.dispatch(
            events_pb2.PetitionAssigned(
                petition_id=pid,
                grid=grid,
                assignee_id=worker,
                department_code=department,
                assigned_at=stamp(start + timedelta(minutes=5)),
                deadline=stamp(start + 2 * H),
            ),
            pid,
        )
        if i == count - 1:  # a duplicate, merged away
            feed.petition(
                events_pb2.PetitionMerged(
                    petition_id=pid, survivor_id="p-0", merged_at=stamp(start + H)
                ),
                pid,
            )
            status(feed, pid, S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_DUPLICATE, start + H)
            continue
        status(
            feed,
            pid,
            S.PETITION_STATUS_ASSIGNED,
            S.PETITION_STATUS_VERIFIED,
            start + (3 if i % 5 == 0 else 1) * H,
        )
        if i % 11 == 0:
            feed.dispatch(
                events_pb2.AssignmentTransferred(
                    petition_id=pid,
                    from_assignee_id=worker,
                    to_assignee_id="w-9",
                    transferred_at=stamp(start + 2 * H),
                ),
                pid,
            )
        if i % 7 == 0:
            feed.dispatch(
                events_pb2.PetitionOverdue(
                    petition_id=pid,
                    grid=grid,
                    step=dispatch_pb2.ASSIGNMENT_STEP_HANDLE,
                    deadline=stamp(start + 3 * H),
                    detected_at=stamp(start + 3 * H),
                ),
                pid,
            )
        if i % 6 == 0:
            whistle = f"wh-{i}"
            feed.dispatch(
                events_pb2.WhistleBlown(
                    whistle_id=whistle,
                    petition_id=pid,
                    grid=grid,
                    department_codes=["D-ROADS", "D-WATER"],
                    blown_at=stamp(start + H),
                    report_deadline=stamp(start + 3 * H),
                ),
                pid,
            )
            feed.dispatch(
                events_pb2.WhistleReported(
                    whistle_id=whistle,
                    petition_id=pid,
                    department_code="D-ROADS",
                    reported_at=stamp(start + 2 * H),
                    on_time=i % 12 == 0,
                ),
                pid,
            )
        if i % 3 != 2:
            status(
                feed,
                pid,
                S.PETITION_STATUS_VERIFIED,
                S.PETITION_STATUS_RESOLVED,
                start + (4 + i % 6) * H,
            )
            resolved.append(i)
    feed.flush()
    return resolved


def care(member: str, due: datetime, on_time: bool) -> events_pb2.CareVisitCheck:
    return events_pb2.CareVisitCheck(member_id=member, due_at=stamp(due), on_time=on_time)


def proactive_wave(feed: Feed) -> None:
    """Households in the wave's grids (some move or leave mid-week), every other one visited,
    care visits on time and late, missed care visits (one visited late after it)."""
    for n in range(12):
        members = [
            events_pb2.CareMemberRef(
                member_id=f"m-{n}", care_groups=["ELDERLY_ALONE"], visit_interval_days=7
            )
        ]
        feed.grid(
            events_pb2.HouseholdChanged(
                household_id=f"h-{n}",
                grid_code=path(n)[-1],
                care_members=members if n % 3 == 0 else [],
                member_count=2,
                changed_at=stamp(T0 - 240 * H),
                version=1,
            ),
            f"h-{n}",
        )
        if n % 5 == 4:  # moves to the next grid, or (h-9) moves away
            feed.grid(
                events_pb2.HouseholdChanged(
                    household_id=f"h-{n}",
                    grid_code=path(n + 1)[-1],
                    removed=n == 9,
                    changed_at=stamp(T0 + 50 * H),
                    version=2,
                ),
                f"h-{n}",
            )
    due = T0 + 24 * H
    for n in range(0, 12, 2):
        checks = [care(f"m-{n}", due, n % 4 == 0)] if n % 3 == 0 else []
        feed.dispatch(
            events_pb2.VisitRecorded(
                visit_id=f"v-{n}",
                household_id=f"h-{n}",
                grid_code=path(n)[-1],
                worker_id=f"w-{n % 4}",
                visited_at=stamp(T0 + (n if n % 4 == 0 else 30) * H),
                care_visits=checks,
            ),
            f"v-{n}",
        )
    for n in (3, 6, 9):
        feed.dispatch(
            events_pb2.CareVisitOverdue(
                member_id=f"m-{n}",
                household_id=f"h-{n}",
                grid_code=path(n)[-1],
                care_groups=["ELDERLY_ALONE"],
                due_at=stamp(due),
                detected_at=stamp(due + H),
            ),
            f"m-{n}",
        )
    feed.flush()


def wait_applied(store: MigratedStore, expected: int) -> None:
    """Until the live consumer has applied `expected` events (asynchronous delivery)."""

    def applied() -> int:
        with transaction(store.sessions) as session:
            return int(
                session.execute(
                    select(func.count())
                    .select_from(processed_events)
                    .where(processed_events.c.consumer == CONSUMER)
                ).scalar_one()
            )

    done = settled(
        applied, until=lambda n: n >= expected, what=f"{expected} events applied", timeout=60
    )
    assert done == expected


def snapshot(store: MigratedStore) -> dict[str, str]:
    """Every export and ranking over several periods, as text compared byte for byte."""
    windows = [
        Window(date(2025, 3, 3), date(2025, 3, 4)),
        Window(date(2025, 3, 3), date(2025, 3, 10)),
        Window(date(2025, 3, 1), date(2025, 4, 1)),
        Window(date.min, date(2026, 1, 1)),
    ]
    kinds = [(SubjectKind.WORKER, 0), (SubjectKind.DEPARTMENT, 0), (SubjectKind.CITY, 0)]
    kinds += [(SubjectKind.GRID, level) for level in (1, 2, 3)]
    found: dict[str, str] = {}
    with transaction(store.sessions) as session:
        for window in windows:
            for kind, level in kinds:
                name = f"{kind.value}{level}:{window.start}..{window.end}"
                found[name] = convert.to_json(
                    scorecards.scorecards(session, kind, window, grid_level=level)
                )
                if kind is not SubjectKind.CITY:
                    ranking = scorecards.rankings(session, kind, window, grid_level=level)
                    found[f"rank {name}"] = repr(
                        [
                            (e.rank, e.card.subject.subject_id, e.rating, e.assessment_score)
                            for e in ranking.entries
                        ]
                    ) + repr(ranking.excellent_ratio)
        week = digest.week_of(date(2025, 3, 3))
        facts = digests.facts(session, week)
        found["digests"] = repr(
            [digest.build(facts, code, digests.RULE) for code in sorted(facts.grids())]
        )
    return found


@pytest.fixture
def topics(broker: Broker) -> Topics:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    names = Topics(
        f"{prefix}.petition", f"{prefix}.dispatch", f"{prefix}.evaluation", f"{prefix}.grid"
    )
    ensure_topics(
        kafka_settings(broker), [names.petition, names.dispatch, names.evaluation, names.grid]
    )
    return names


def kafka_settings(broker: Broker) -> KafkaSettings:
    return KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)


@pytest.fixture
def empty_url(database_url: str, tmp_path: object) -> Iterator[str]:
    """A second, empty database of the same kind for the rebuild."""
    if database_url.startswith("sqlite"):
        yield database_url.replace("test.db", "rebuilt.db")
        return
    name, url = create_database("gridplus_rebuild")
    yield url
    drop_database(name)


def test_replaying_the_topics_into_an_empty_database_reproduces_every_number(
    broker: Broker, topics: Topics, database_url: str, empty_url: str
) -> None:
    settings = kafka_settings(broker)
    clock = ManualClock(T0 + 20 * H)
    feed = Feed(broker, topics)
    with migrated_store(database_url, MIGRATIONS) as live:
        outbox = Outbox(topics.evaluation, "/gridplus/evaluation", clock)
        follow_ups = FollowUps(outbox, clock, FollowUpPolicy(satisfied_min_rating=4, days=7))
        group = f"evaluation-{uuid.uuid4().hex[:6]}"
        consumer = EventConsumer(
            name=CONSUMER,
            topics=[topics.petition, topics.dispatch, topics.grid],
            handlers=HANDLERS,
            sessions=live.sessions,
            consumer_factory=lambda: create_consumer(settings, group, "evaluation-test"),
            producer_factory=lambda: create_producer(settings, "evaluation-test"),
            clock=clock,
        )
        stop = threading.Event()
        thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
        thread.start()
        try:
            resolved = first_wave(feed, 24)
            proactive_wave(feed)
            wait_applied(live, feed.sent)

            def resident(i: int) -> Principal:
                return Principal(f"r-{i}", Role.RESIDENT)

            unhappy = [i for i in resolved if i % 4 == 0]
            silent = [i for i in resolved if i % 5 == 1 and i not in unhappy]
            for i in resolved:
                if i in silent:
                    continue
                if i % 8 == 3:
                    follow_ups.visit(
                        live.sessions,
                        Principal(f"w-{i % 4}", Role.GRID_WORKER),
                        petition_id=f"p-{i}",
                        rating=4,
                        comment="",
                    )
                else:
                    rating = 2 if i in unhappy else 5
                    follow_ups.rate(
                        live.sessions,
                        resident(i),
                        petition_id=f"p-{i}",
                        rating=rating,
                        comment="ok",
                    )
            assessments = Assessments(
                outbox,
                clock,
                AssessmentWeights.parse("listen=40,evaluate=20,look=20,discuss=20"),
            )
            for n, worker in enumerate(["w-0", "w-1", "w-0"]):
                assessments.record(
                    live.sessions,
                    Principal("insp-1", Role.INSPECTOR),
                    worker_id=worker,
                    grid_code=path(n)[-1],
                    scores=AssessmentScores(90, 80 - n, 70, 60 + n),
                    secret=n == 1,
                    note="",
                )
            # The petition service closes the satisfied and reopens the unsatisfied ones.
            for i in resolved:
                pid, at = f"p-{i}", T0 + 21 * H
                if i in unhappy:
                    status(feed, pid, S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_REOPENED, at)
                    status(
                        feed,
                        pid,
                        S.PETITION_STATUS_REOPENED,
                        S.PETITION_STATUS_RESOLVED,
                        at + 5 * H,
                    )
                elif i not in silent:
                    status(feed, pid, S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_CLOSED, at)
            feed.flush()
            wait_applied(live, feed.sent)
            clock.set(T0 + 27 * H)
            for i in unhappy:
                follow_ups.rate(
                    live.sessions, resident(i), petition_id=f"p-{i}", rating=4, comment=""
                )
            clock.set(T0 + 9 * 24 * H)
            assert FollowUpTimeouts(
                live.sessions, follow_ups, interval_seconds=1
            ).run_once() == len(silent)
            lease = Lease(live.sessions, "digests", "replica-a", timedelta(minutes=2), clock)
            published = GridDigests(
                live.sessions, outbox, clock, lease, interval_seconds=60
            ).run_once()
            assert published == 20  # every grid of the wave: 2 level-1, 6 level-2, 12 level-3
        finally:
            stop.set()
            thread.join(15)
            feed.close()

        relay = OutboxRelay(
            live.engine, live.sessions, lambda: create_producer(settings, "relay-test"), clock
        )
        while relay.publish_pending():
            pass
        expected = snapshot(live)

    city = expected["city0:2025-03-01..2025-04-01"]
    assert '"satisfied": 13' in city and '"unsatisfied": 4' in city and '"no_response": 3' in city
    assert '"overdue": 4' in city and '"whistle_summoned": 8' in city
    # 11 households at the month's end (h-9 left), 6 visited; m-0 on time, m-6 late (once),
    # m-3 and m-9 missed.
    assert '"households": 11' in city and '"households_visited": 6' in city
    assert '"care_visits_due": 4' in city and '"care_visits_on_time": 1' in city

    with migrated_store(empty_url, MIGRATIONS) as rebuilt:
        reader = create_consumer(settings, f"rebuild-{uuid.uuid4().hex[:6]}", "rebuild-test")
        try:
            count = replay(
                reader,
                rebuilt.sessions,
                [topics.petition, topics.dispatch, topics.grid, topics.evaluation],
                REBUILD_HANDLERS,  # type: ignore[arg-type]
                consumer_name=CONSUMER,
                clock=clock,
            )
        finally:
            reader.close(autocommit=False)
        # Follow-ups, assessments, digests.
        assert count.applied == count.read == feed.sent + 20 + 3 + published
        assert snapshot(rebuilt) == expected
        lease = Lease(rebuilt.sessions, "digests", "replica-b", timedelta(minutes=2), clock)
        again = GridDigests(rebuilt.sessions, Outbox(topics.evaluation, "/e", clock), clock, lease,
                            interval_seconds=60)  # fmt: skip
        assert again.run_once() == 0  # the replayed digests count as published
