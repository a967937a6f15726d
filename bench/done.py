"""Issue 13's "done": every petition of a run ASSIGNED, its inbox item written (the reporter told
it was routed), its evaluation fact recorded (assigned_at set); and every service's consumer
group back to lag 0 within 10 s after intake stops.

Read straight from the services' databases (SQLite or PostgreSQL, through SQLAlchemy) and the
broker's committed offsets, so the audit asks no API and adds no load to the services.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text

from gridplus.kit.topology import SERVICES, events_topic

AREAS = ("grid", "petition", "dispatch", "notification", "evaluation")
# What each group is known to consume (the services' app.consume calls); a group's other topics
# count too once it has committed anything there, so a new consumer is not missed.
CONSUMES: dict[str, tuple[str, ...]] = {
    "petition": ("dispatch", "evaluation"),
    "dispatch": ("petition",),
    "notification": ("petition", "dispatch", "evaluation", "grid"),
    "evaluation": ("petition", "dispatch"),
}


@dataclass
class Audit:
    petitions: int
    not_assigned: int = 0
    no_inbox_item: int = 0
    no_evaluation_fact: int = 0
    lag_zero_after: float | None = None  # seconds after intake stopped; None: not within wait
    lag_left: dict[str, int] = field(default_factory=dict)  # per group, when the wait ended
    lag_zero_by_group: dict[str, float] = field(default_factory=dict)  # see LagWait
    missing: int = 0  # petitions missing at least one of the three, each counted once


class LagProbe:
    """Committed vs end offsets of every service's group, with consumers kept open between
    reads (a fresh client per read costs a connection and a metadata round trip)."""

    def __init__(self, bootstrap: str) -> None:
        self._ends = KafkaConsumer(bootstrap_servers=bootstrap)
        self._groups = {
            spec.name: KafkaConsumer(
                bootstrap_servers=bootstrap, group_id=spec.name, enable_auto_commit=False
            )
            for spec in SERVICES.values()
        }

    def lags(self) -> dict[str, int]:
        existing = self._ends.topics()
        partitions = [
            TopicPartition(events_topic(area), p)
            for area in AREAS
            if events_topic(area) in existing
            for p in self._ends.partitions_for_topic(events_topic(area)) or ()
        ]
        ends = self._ends.end_offsets(partitions)
        found: dict[str, int] = {}
        for group, probe in self._groups.items():
            known = {events_topic(a) for a in CONSUMES.get(group, ())}
            committed = {tp: probe.committed(tp) for tp in partitions}
            used = known | {tp.topic for tp, offset in committed.items() if offset is not None}
            found[group] = sum(
                max(0, end - (committed[tp] or 0)) for tp, end in ends.items() if tp.topic in used
            )
        return found

    def close(self) -> None:
        self._ends.close()
        for probe in self._groups.values():
            probe.close()


@dataclass
class LagWait:
    zero_after: float | None  # seconds from intake's end until every group's lag was 0
    left: dict[str, int]  # per group, the lags last read
    # per group, seconds from intake's end until its lag was 0 for good (which service drained
    # last is what limits "done")
    group_zero_after: dict[str, float] = field(default_factory=dict)


def wait_lag_zero(bootstrap: str, intake_stopped: float, wait: float) -> LagWait:
    """Until every group's lag is 0 (measured from `intake_stopped`, time.monotonic), or
    `wait` seconds have passed."""
    probe = LagProbe(bootstrap)
    zero_since: dict[str, float] = {}
    try:
        while True:
            lags = probe.lags()
            now = time.monotonic()
            for group, lag in lags.items():
                if lag:
                    zero_since.pop(group, None)
                else:
                    zero_since.setdefault(group, max(0.0, now - intake_stopped))
            if not any(lags.values()):
                return LagWait(now - intake_stopped, lags, zero_since)
            if now - intake_stopped > wait:
                return LagWait(None, lags, zero_since)
            time.sleep(0.25)
    finally:
        probe.close()


def count_missing(petition_ids: set[str], database_urls: dict[str, str], audit: Audit) -> Audit:
    """Fill `audit` with what each of `petition_ids` is missing."""
    assigned = _ids(database_urls["petition"], "SELECT id FROM petitions WHERE status='ASSIGNED'")
    inboxed = _ids(
        database_urls["notification"],
        "SELECT DISTINCT petition_id FROM inbox_items WHERE event_type LIKE '%PetitionAssigned'",
    )
    facts = _ids(
        database_urls["evaluation"],
        "SELECT petition_id FROM petition_facts WHERE assigned_at IS NOT NULL",
    )
    audit.not_assigned = len(petition_ids - assigned)
    audit.no_inbox_item = len(petition_ids - inboxed)
    audit.no_evaluation_fact = len(petition_ids - facts)
    audit.missing = len(petition_ids - (assigned & inboxed & facts))
    return audit


def _ids(url: str, query: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {str(row[0]) for row in connection.execute(text(query))}
    finally:
        engine.dispose()
