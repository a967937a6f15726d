"""Evaluation's rebuild (issue 13): events/s replaying a realistic stream into an empty database,
and the scorecards it leaves byte-identical to an event-by-event apply of the same events.

    python -m bench.rebuild [--db sqlite|postgresql] [--events 200000] [--compare 20000] \
        [--live 5000]

The stream (petitions submitted, assigned, accepted, transferred, overdue, whistles, resolved,
rated, closed or reopened, merged; households, visits, missed care visits; assessments; weekly
digests) is encoded as Kafka records of four topics, four partitions each, keyed as the services
key them, and fed to `messaging.replay.replay` by an in-memory consumer that polls like
kafka-python (at most 200 records a poll, the kit's `max_poll_records`): decoding, the handlers,
the processed-id records and the commits are measured, the broker's fetches are not. The
comparison runs the rebuild and an event-by-event apply (one transaction per event, in the order
the services published) of `--compare` events into two more scratch databases; an apply of 200,000
one by one takes minutes, so by default the quick count (20,000) is compared.

The live consumer's cost per event (`--live` events of the same stream, evaluation's own topic
left out): the kit's BatchApplier with the live handlers, in batches of 1 and of 5 records of a
partition (a busy consumer's polls hold a few of a partition's events), process CPU per event.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.api import convert
from gridplus.evaluation.domain import digest
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import digests, scorecards
from gridplus.evaluation.messaging.consumers import HANDLERS, REBUILD_HANDLERS
from gridplus.evaluation.messaging.replay import replay
from gridplus.kit.batch import BatchApplier, apply_handler
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.events import decode, encode_headers
from gridplus.kit.migrations import migrate
from gridplus.kit.processed import record_new

MIGRATIONS = Path(__file__).resolve().parents[1] / "services/gridplus/evaluation/storage/alembic"
T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
S = petition_pb2.PetitionStatus
TOPICS = ("petition", "dispatch", "grid", "evaluation")
PARTITIONS = 4
CONSUMER = "evaluation"
DEPARTMENTS = [f"D-{n:02d}" for n in range(8)]
CATEGORIES = [f"C-{n:02d}" for n in range(12)]


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def _stamp(at: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(at)
    return result


def _grid(n: int) -> common_pb2.GridRef:
    """200 level-3 grids: 5 level-1, 5 level-2 under each, 8 level-3 under each of those."""
    l1 = f"G-{n % 5}"
    l2 = f"{l1}-{n // 5 % 5}"
    l3 = f"{l2}-{n // 25 % 8}"
    return common_pb2.GridRef(code=l3, level=3, path=[l1, l2, l3])


class Stream:
    """Events in the order the services publish them, as (topic, key, time, payload)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[tuple[str, str, datetime, Message]] = []

    def add(self, topic: str, key: str, at: datetime, payload: Message) -> None:
        self.events.append((topic, key, at, payload))

    def status(self, pid: str, old: Any, new: Any, at: datetime, actor: str) -> None:
        changed = events_pb2.PetitionStatusChanged(
            petition_id=pid,
            from_status=old,
            to_status=new,
            actor_id=actor,
            changed_at=_stamp(at),
        )
        self.add("petition", pid, at, changed)

    def petition(self, i: int) -> None:
        rng, pid = self.rng, f"p-{i}"
        start = T0 + timedelta(minutes=3 * i + rng.randrange(3))
        grid_n = rng.randrange(200)
        grid, worker = _grid(grid_n), f"w-{grid_n}-{rng.randrange(3)}"
        department, category = rng.choice(DEPARTMENTS), rng.choice(CATEGORIES)
        location = common_pb2.GeoPoint(
            lat=40.6 + (grid_n % 20) / 100 + rng.random() / 500,
            lon=-74.0 + (grid_n // 20) / 100 + rng.random() / 500,
        )
        self.add(
            "petition",
            pid,
            start,
            events_pb2.PetitionSubmitted(
                petition_id=pid,
                reporter_id=f"r-{rng.randrange(5000)}",
                category=category,
                location=location,
                submitted_at=_stamp(start),
                title="t",
            ),
        )
        at = start + timedelta(minutes=2 + rng.randrange(20))
        self.add(
            "dispatch",
            pid,
            at,
            events_pb2.PetitionAssigned(
                petition_id=pid,
                grid=grid,
                assignee_id=worker,
                department_code=department,
                category=category,
                assigned_at=_stamp(at),
                deadline=_stamp(at + 2 * H),
            ),
        )
        self.status(pid, S.PETITION_STATUS_SUBMITTED, S.PETITION_STATUS_ASSIGNED, at, "dispatch")
        if i % 40 == 39:  # a duplicate, merged away
            self.add(
                "petition",
                pid,
                at + H,
                events_pb2.PetitionMerged(
                    petition_id=pid, survivor_id=f"p-{i - 1}", merged_at=_stamp(at + H)
                ),
            )
            self.status(
                pid, S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_DUPLICATE, at + H, worker
            )
            return
        at += timedelta(minutes=10 + rng.randrange(200))
        self.status(pid, S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_VERIFIED, at, worker)
        if rng.random() < 0.08:
            self.add(
                "dispatch",
                pid,
                at + H,
                events_pb2.AssignmentTransferred(
                    petition_id=pid,
                    from_assignee_id=worker,
                    to_assignee_id=f"w-{grid_n}-9",
                    from_department_code=department,
                    to_department_code=rng.choice(DEPARTMENTS),
                    transferred_at=_stamp(at + H),
                ),
            )
        if rng.random() < 0.12:
            self.add(
                "dispatch",
                pid,
                at + 3 * H,
                events_pb2.PetitionOverdue(
                    petition_id=pid,
                    grid=grid,
                    step=dispatch_pb2.ASSIGNMENT_STEP_HANDLE,
                    deadline=_stamp(at + 3 * H),
                    detected_at=_stamp(at + 3 * H),
                ),
            )
        if rng.random() < 0.05:
            whistle = f"wh-{i}"
            self.add(
                "dispatch",
                pid,
                at + H,
                events_pb2.WhistleBlown(
                    whistle_id=whistle,
                    petition_id=pid,
                    grid=grid,
                    department_codes=DEPARTMENTS[:2],
                    blown_at=_stamp(at + H),
                    report_deadline=_stamp(at + 3 * H),
                ),
            )
            self.add(
                "dispatch",
                pid,
                at + 2 * H,
                events_pb2.WhistleReported(
                    whistle_id=whistle,
                    petition_id=pid,
                    department_code=DEPARTMENTS[0],
                    reported_at=_stamp(at + 2 * H),
                    on_time=rng.random() < 0.6,
                ),
            )
        if rng.random() < 0.15:  # still being handled
            return
        at += timedelta(hours=1 + rng.randrange(30))
        self.status(pid, S.PETITION_STATUS_VERIFIED, S.PETITION_STATUS_RESOLVED, at, worker)
        self.follow_up(pid, at, worker)

    def follow_up(self, pid: str, resolved: datetime, worker: str) -> None:
        rng, at = self.rng, resolved + timedelta(hours=2 + self.rng.randrange(48))
        roll = rng.random()
        satisfied = events_pb2.FOLLOW_UP_OUTCOME_SATISFIED
        if roll < 0.7:
            outcome, rating, via, actor = satisfied, 4 + (roll < 0.5), "rating", "r"
        elif roll < 0.85:
            unsatisfied = events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED
            outcome, rating, via, actor = unsatisfied, 1 + rng.randrange(3), "rating", "r"
        elif roll < 0.9:
            outcome, rating, via, actor = satisfied, 4, "visit", worker
        else:
            outcome, rating, via, actor = (
                events_pb2.FOLLOW_UP_OUTCOME_NO_RESPONSE,
                0,
                "timeout",
                "e",
            )
            at = resolved + 7 * 24 * H
        # Keyed by its own id on evaluation's topic, as the outbox publishes it.
        self.add(
            "evaluation",
            str(uuid.UUID(int=rng.getrandbits(128))),
            at,
            events_pb2.FollowUpCompleted(
                petition_id=pid,
                outcome=outcome,
                rating=rating,
                via=via,
                actor_id=actor,
                completed_at=_stamp(at),
            ),
        )
        if outcome == events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED:
            self.status(pid, S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_REOPENED, at, "petition")
            self.status(
                pid, S.PETITION_STATUS_REOPENED, S.PETITION_STATUS_RESOLVED, at + 5 * H, worker
            )
        else:
            self.status(pid, S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_CLOSED, at, "petition")

    def proactive(self, i: int) -> None:
        """Every tenth petition: a household change, a visit; sometimes a missed care visit
        or an inspector's assessment."""
        rng, n = self.rng, i // 10
        grid_n, at = n % 200, T0 + timedelta(minutes=30 * n)
        household, member = f"h-{n % 3000}", f"m-{n % 3000}"
        care = (
            [
                events_pb2.CareMemberRef(
                    member_id=member, care_groups=["ELDERLY_ALONE"], visit_interval_days=7
                )
            ]
            if n % 3 == 0
            else []
        )
        self.add(
            "grid",
            household,
            at,
            events_pb2.HouseholdChanged(
                household_id=household,
                grid_code=_grid(grid_n).code,
                care_members=care,
                member_count=1 + n % 4,
                changed_at=_stamp(at),
                version=1 + n // 3000,
                removed=n % 97 == 96,
            ),
        )
        checks = (
            [
                events_pb2.CareVisitCheck(
                    member_id=member, due_at=_stamp(at + 24 * H), on_time=rng.random() < 0.7
                )
            ]
            if care
            else []
        )
        self.add(
            "dispatch",
            f"v-{n}",
            at + 20 * H,
            events_pb2.VisitRecorded(
                visit_id=f"v-{n}",
                household_id=household,
                grid_code=_grid(grid_n).code,
                worker_id=f"w-{grid_n}-0",
                visited_at=_stamp(at + 20 * H),
                care_visits=checks,
            ),
        )
        if care and rng.random() < 0.2:
            self.add(
                "dispatch",
                member,
                at + 25 * H,
                events_pb2.CareVisitOverdue(
                    member_id=member,
                    household_id=household,
                    grid_code=_grid(grid_n).code,
                    care_groups=["ELDERLY_ALONE"],
                    due_at=_stamp(at + 24 * H),
                    detected_at=_stamp(at + 25 * H),
                ),
            )
        if n % 7 == 0:
            assessment = str(uuid.UUID(int=rng.getrandbits(128)))
            self.add(
                "evaluation",
                assessment,
                at,
                events_pb2.AssessmentRecorded(
                    assessment_id=assessment,
                    worker_id=f"w-{grid_n}-{n % 3}",
                    grid_code=_grid(grid_n).code,
                    inspector_id="insp-1",
                    score=50 + rng.randrange(50),
                    secret=n % 5 == 0,
                    recorded_at=_stamp(at),
                ),
            )

    def digests(self) -> None:
        """A weekly digest for each level-1 grid over the stream's weeks."""
        last = self.events[-1][2] if self.events else T0
        week = T0
        while week < last:
            for l1 in range(5):
                self.add(
                    "evaluation",
                    f"G-{l1}",
                    week + 7 * 24 * H,
                    events_pb2.GridDigestReady(
                        grid_code=f"G-{l1}",
                        period_start=_stamp(week),
                        period_end=_stamp(week + 7 * 24 * H),
                    ),
                )
            week += 7 * 24 * H


def generate(count: int, seed: int = 13) -> list[Record]:
    """`count` events as records, in the order the services would have published them."""
    stream = Stream(seed)
    i = 0
    while len(stream.events) < count:
        stream.petition(i)
        if i % 10 == 0:
            stream.proactive(i)
        i += 1
    stream.digests()
    offsets: dict[tuple[str, int], int] = {}
    records = []
    for n, (topic, key, at, payload) in enumerate(stream.events[:count]):
        part = (topic, zlib.crc32(key.encode()) % PARTITIONS)
        offsets[part] = offsets.get(part, -1) + 1
        headers = encode_headers(
            event_id=str(uuid.UUID(int=n + 1)),
            ce_type=payload.DESCRIPTOR.full_name,
            source=f"/gridplus/{topic}",
            time=at,
            traceparent=None,
        )
        records.append(
            Record(
                f"{topic}:{part[1]}",
                offsets[part],
                key.encode(),
                payload.SerializeToString(),
                headers,
            )
        )
    return records


class MemoryConsumer:
    """What `replay` asks of a KafkaConsumer, over records in memory; polls round-robin over
    the partitions, at most `max_poll_records` a poll, as kafka-python does."""

    def __init__(self, records: list[Record], max_poll_records: int = 200) -> None:
        self._logs: dict[Any, list[Record]] = {}
        for record in records:
            topic, part = record.topic.split(":")
            self._logs.setdefault(_tp(topic, int(part)), []).append(record)
        self._position: dict[Any, int] = {}
        self._max = max_poll_records

    def topics(self) -> set[str]:
        return {tp.topic for tp in self._logs}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {tp.partition for tp in self._logs if tp.topic == topic}

    def assign(self, partitions: list[Any]) -> None:
        self._position = dict.fromkeys(partitions, 0)

    def seek_to_beginning(self, *partitions: Any) -> None:
        for tp in partitions:
            self._position[tp] = 0

    def end_offsets(self, partitions: list[Any]) -> dict[Any, int]:
        return {tp: len(self._logs[tp]) for tp in partitions}

    def beginning_offsets(self, partitions: list[Any]) -> dict[Any, int]:
        return dict.fromkeys(partitions, 0)

    def poll(self, timeout_ms: int = 0) -> dict[Any, list[Record]]:
        batches, room = {}, self._max
        for tp, position in self._position.items():
            if room == 0:
                break
            taken = self._logs[tp][position : position + room]
            if taken:
                batches[tp] = taken
                self._position[tp] = position + len(taken)
                room -= len(taken)
        return batches


def _tp(topic: str, partition: int) -> Any:
    from kafka import TopicPartition

    return TopicPartition(topic, partition)


@contextmanager
def scratch(db: str, tag: str) -> Iterator[SessionFactory]:
    """An empty migrated evaluation database: a SQLite temp file or a PostgreSQL database
    created on 127.0.0.1:5432 and dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="gridplus-rebuild-") as tmp:
        name = f"gridplus_bench_rebuild_{tag}_{uuid.uuid4().hex[:8]}"
        if db == "postgresql":
            from tools.scaled_stack import drop_database, ensure_database

            url = ensure_database(name)
        else:
            url = f"sqlite:///{tmp}/{tag}.db"
        engine = create_database_engine(url)
        try:
            migrate(engine, MIGRATIONS)
            yield create_session_factory(engine)
        finally:
            engine.dispose()
            if db == "postgresql":
                drop_database(name)


def rebuild(sessions: SessionFactory, records: list[Record]) -> tuple[float, float]:
    """Replays `records`; (wall seconds, process CPU seconds)."""
    clock = ManualClock(T0)
    wall, cpu = time.perf_counter(), time.process_time()
    count = replay(
        MemoryConsumer(records),  # type: ignore[arg-type]
        sessions,
        list(TOPICS),
        REBUILD_HANDLERS,  # type: ignore[arg-type]
        consumer_name=CONSUMER,
        clock=clock,
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if count.applied != len(records):
        raise RuntimeError(f"rebuild applied {count.applied} of {len(records)} events")
    return wall, cpu


def apply_one_by_one(sessions: SessionFactory, records: list[Record]) -> None:
    """Each event in its own transaction, in publishing order, as a live consumer would."""
    at = ManualClock(T0).now()
    for record in records:
        event = decode(record.key, record.value, record.headers)
        with transaction(sessions) as session:
            if record_new(session, CONSUMER, [event.id], at):
                apply_handler(REBUILD_HANDLERS[event.type], session, event, None)


def snapshot(sessions: SessionFactory) -> str:
    """Every scorecard and ranking over several windows and the weekly digests, as text."""
    windows = [
        Window(date(2025, 1, 6), date(2025, 1, 13)),
        Window(date(2025, 2, 1), date(2025, 3, 1)),
    ]
    windows += [Window(date.min, date(2030, 1, 1))]
    kinds = [(SubjectKind.WORKER, 0), (SubjectKind.DEPARTMENT, 0), (SubjectKind.CITY, 0)]
    kinds += [(SubjectKind.GRID, level) for level in (1, 2, 3)]
    parts = []
    with transaction(sessions) as session:
        for window in windows:
            for kind, level in kinds:
                cards = scorecards.scorecards(session, kind, window, grid_level=level)
                parts.append(convert.to_json(cards))
                if kind is not SubjectKind.CITY:
                    ranking = scorecards.rankings(session, kind, window, grid_level=level)
                    entries = [
                        (e.rank, e.card.subject.subject_id, e.rating, e.assessment_score)
                        for e in ranking.entries
                    ]
                    parts.append(repr(entries) + repr(ranking.excellent_ratio))
        facts = digests.facts(session, digest.week_of(date(2025, 1, 13)))
        parts.append(
            repr([digest.build(facts, code, digests.RULE) for code in sorted(facts.grids())])
        )
    return "\n".join(parts)


def live_cpu_per_event(db: str, records: list[Record], batch: int) -> float:
    """ms of process CPU per event through the live consumer's batch applier, `batch` records
    of a partition at a time in publishing order."""
    live = [r for r in records if not r.topic.startswith("evaluation:")]
    chunks, pending = [], dict[str, list[Record]]()
    for record in live:
        pending.setdefault(record.topic, []).append(record)
        if len(pending[record.topic]) >= batch:
            chunks.append(pending.pop(record.topic))
    chunks += pending.values()

    def one_by_one(record: object, attempts: int) -> bool:
        raise RuntimeError("a batch failed")

    with scratch(db, "live") as sessions:
        applier = BatchApplier(
            name=CONSUMER,
            handlers=HANDLERS,
            sessions=sessions,
            clock=ManualClock(T0),
            after_commit=lambda: None,
        )
        cpu = time.process_time()
        for chunk in chunks:
            applier.apply(chunk, one_by_one)  # type: ignore[arg-type]
        cpu = time.process_time() - cpu
    return cpu / len(live) * 1000


def report(
    db: str = "sqlite",
    quick: bool = False,
    events: int | None = None,
    compare: int = 20_000,
    live: int | None = None,
) -> dict[str, tuple[float, str]]:
    count = events or (20_000 if quick else 200_000)
    records = generate(count)
    compared = min(compare, count)
    with scratch(db, "full") as sessions:
        wall, cpu = rebuild(sessions, records)
        ours = snapshot(sessions) if compared == count else ""
    print(
        f"rebuild on {db}, {count:,} events: {count / wall:,.0f} events/s "
        f"({wall:.1f} s, {cpu / count * 1000:.3f} ms CPU per event)",
        flush=True,
    )
    sample = records if compared == count else generate(compared)
    if not ours:
        with scratch(db, "replayed") as replayed:
            rebuild(replayed, sample)
            ours = snapshot(replayed)
    with scratch(db, "applied") as applied:
        apply_one_by_one(applied, sample)
        theirs = snapshot(applied)
    same = ours == theirs
    digest_of = hashlib.sha256(ours.encode()).hexdigest()[:12]
    print(
        f"scorecards after a rebuild of {compared:,} events "
        f"{'byte-identical to' if same else 'DIFFER from'} an event-by-event apply "
        f"({len(ours):,} bytes, sha256 {digest_of})",
        flush=True,
    )
    if not same:
        raise RuntimeError("rebuild's scorecards differ from the event-by-event apply")
    figures = {
        f"rebuild.{db}.events_per_s": (count / wall, "events/s"),
        f"rebuild.{db}.cpu_per_event": (cpu / count * 1000, "ms"),
        f"rebuild.{db}.identical_events": (float(compared), "events"),
    }
    stream = generate(live or (2_000 if quick else 5_000))
    for batch in (1, 5):
        per_event = live_cpu_per_event(db, stream, batch)
        print(f"live consumer path on {db}, batches of {batch}: {per_event:.3f} ms CPU per event")
        figures[f"evaluation.{db}.live_cpu_per_event.batch{batch}"] = (per_event, "ms")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument(
        "--compare", type=int, default=20_000, help="events compared with an event-by-event apply"
    )
    parser.add_argument("--live", type=int, default=5_000, help="events for the live path")
    args = parser.parse_args()
    report(args.db, events=args.events, compare=args.compare, live=args.live)


if __name__ == "__main__":
    main()
