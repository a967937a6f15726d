"""Chaos on the scaled-out stack: a load of petitions while one replica of each service is killed
(kill -9) in turn and the broker restarts once; then the figures and what must hold.

`make chaos` runs 10,000 petitions (python -m bench.chaos --petitions 10000); the e2e test
tests/e2e/test_chaos.py runs a few hundred through the same `Chaos`.

A resident's app here is what an ingress gives it: requests spread over the petition replicas,
a request to a dead replica retried on another with the same Idempotency-Key.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import boto3
import psycopg
import requests
from kafka import KafkaConsumer
from moto.server import ThreadedMotoServer
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from bench import consumer_audit
from gridplus.evaluation.api import convert
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import scorecards
from gridplus.kit.auth import Role
from gridplus.kit.clock import SystemClock
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.topology import events_topic
from tests.support.ports import free_port, wait_for_port
from tools.scaled_stack import (
    Replica,
    ScaledStack,
    default_replicas,
    drop_database,
    ensure_database,
)
from tools.stack import ROUTE_EVERYTHING, START_ORDER

TIMES_SQUARE = {"lat": 40.758, "lon": -73.9855}
PHOTO_EVERY = 25  # one petition in this many carries a photo
# One petition in this many is of a category whose verify step lasts seconds (the stack runs with
# CHAOS_ENV): it goes overdue during the run and must be reported overdue exactly once, however
# many dispatch scanners see it late.
OVERDUE_EVERY = 10
OVERDUE_CATEGORY = "nyc.noise_residential"
CHAOS_ENV = {
    **ROUTE_EVERYTHING,
    "GRIDPLUS_DISPATCH_SLA_OVERRIDE": f"{OVERDUE_CATEGORY}=3:86400",
    "GRIDPLUS_DISPATCH_SCAN_SECONDS": "0.5",
}
SUBJECTS = [
    (SubjectKind.WORKER, 0),
    (SubjectKind.GRID, 1),
    (SubjectKind.GRID, 2),
    (SubjectKind.GRID, 3),
    (SubjectKind.DEPARTMENT, 0),
    (SubjectKind.CITY, 0),
]


def photo_bytes(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (n % 256, 80, 160)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Figures:
    submitted: int = 0
    assigned_once: int = 0
    lost: int = 0  # submitted (201) but never ASSIGNED
    lost_sample: list[str] = field(default_factory=list)
    doubled: int = 0
    assigned_history_not_one: int = 0
    assigned_event_ids_not_one: int = 0
    overdue_expected: int = 0
    overdue_not_once: int = 0  # petitions with no PetitionOverdue, or more than one event id
    notifications: int = 0
    notifications_doubled: int = 0
    assignments_not_notified: int = 0
    not_notified_why: dict[str, int] = field(default_factory=dict)
    not_notified_sample: list[str] = field(default_factory=list)
    scorecards_equal_rebuild: bool = False
    photos: int = 0
    photo_reads_failed: int = 0
    # gRPC calls each grid-registry replica served since it last started (health checks aside),
    # residents' map look-ups through every petition replica included: clients spread them, to a
    # restarted replica too
    grid_registry_calls: list[int] = field(default_factory=list)
    kills: list[str] = field(default_factory=list)
    restarts: int = 0
    broker_restarts: int = 0
    retries: int = 0
    seconds: float = 0.0

    def problems(self) -> list[str]:
        found = []
        if self.lost:
            found.append(f"{self.lost} petition(s) lost")
        if self.doubled:
            found.append(f"{self.doubled} petition(s) doubled")
        if self.assigned_once != self.submitted:
            found.append(f"{self.submitted - self.assigned_once} not ASSIGNED exactly once")
        if self.assigned_history_not_one or self.assigned_event_ids_not_one:
            found.append(
                f"ASSIGNED history entries ≠ 1: {self.assigned_history_not_one}, "
                f"PetitionAssigned event ids ≠ 1: {self.assigned_event_ids_not_one}"
            )
        if self.assignments_not_notified:
            found.append(f"{self.assignments_not_notified} assignment(s) notified nobody")
        if self.overdue_not_once:
            found.append(
                f"{self.overdue_not_once} of {self.overdue_expected} late petition(s) "
                "not reported overdue exactly once"
            )
        if self.notifications_doubled:
            found.append(f"{self.notifications_doubled} (event, recipient, channel) sent twice")
        if not self.scorecards_equal_rebuild:
            found.append("scorecards differ from a fresh rebuild")
        if not self.grid_registry_calls or min(self.grid_registry_calls) == 0:
            found.append(f"a grid-registry replica served no calls: {self.grid_registry_calls}")
        if self.photo_reads_failed:
            found.append(f"{self.photo_reads_failed} photo read(s) failed")
        return found


class Chaos:
    def __init__(self, stack: ScaledStack, petitions: int, *, workers: int = 6) -> None:
        self.stack = stack
        self.total = petitions
        self.workers = workers
        self.ids: dict[str, str] = {}  # idempotency key -> petition id
        self.photos: dict[str, bytes] = {}  # petition id -> the photo sent with it
        self.late: set[str] = set()  # petitions of OVERDUE_CATEGORY
        self.figures = Figures()
        self._lock = threading.Lock()
        self._turn = count()
        self._futures: list[Future[None]] = []
        self._headers = {"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"}

    # -- load ---------------------------------------------------------------------------------

    def submit(self, n: int) -> None:
        key = f"chaos-{uuid.uuid4()}"
        fields: dict[str, Any] = {
            "title": f"积水 {n}",
            "description": "路面积水严重",
            **TIMES_SQUARE,
        }
        photo = photo_bytes(n) if n % PHOTO_EVERY == 0 else None
        if n % OVERDUE_EVERY == 1:
            fields["category"] = OVERDUE_CATEGORY
        urls = self.stack.http_urls()
        deadline = time.monotonic() + 120
        while True:
            url = urls[next(self._turn) % len(urls)]
            try:
                # JSON, or multipart when a photo comes along (form fields are text there).
                response = requests.post(
                    f"{url}/api/v1/petitions",
                    json=None if photo else fields,
                    data={k: str(v) for k, v in fields.items()} if photo else None,
                    files={"photos": ("p.png", photo, "image/png")} if photo else None,
                    headers={**self._headers, "Idempotency-Key": key},
                    timeout=15,
                )
                if response.status_code == 201:
                    break
                retry, why = response.status_code >= 500, response.text[:300]
            except requests.RequestException as exc:
                retry, why = True, repr(exc)
            if not retry or time.monotonic() > deadline:
                raise AssertionError(f"petition {n} was refused: {why}")
            with self._lock:
                self.figures.retries += 1
            time.sleep(0.1)
        petition_id = str(response.json()["id"])
        with self._lock:
            self.ids[key] = petition_id
            if "category" in fields:
                self.late.add(petition_id)
            if photo is not None:
                self.photos[petition_id] = photo

    def run(self) -> Figures:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            self._futures = [pool.submit(self.submit, n) for n in range(self.total)]
            self._faults()
            for future in self._futures:
                future.result()
        self.figures.submitted = len(self.ids)
        self.check()
        self.figures.restarts = len(self.stack.restarts)
        self.figures.seconds = round(time.monotonic() - started, 1)
        return self.figures

    def _faults(self) -> None:
        """One replica of each service killed in turn as the load goes on (the stack restarts
        it), and the broker restarted once halfway."""
        steps = len(START_ORDER) + 1
        for step, package in enumerate([*START_ORDER[:3], "broker", *START_ORDER[3:]]):
            self._wait_submitted(self.total * (step + 1) // (steps + 1))
            if package == "broker":
                self.stack.restart_broker()
                self.figures.broker_restarts += 1
                self.figures.kills.append("broker (restart)")
                continue
            index = step % 2 if len(self.stack.replicas_of(package)) > 1 else 0
            pid = self.stack.kill_replica(package, index)
            self.figures.kills.append(f"{package}[{index}] pid {pid}")
            self._wait_restarted(package, index, pid)

    def _wait_submitted(self, at_least: int) -> None:
        deadline = time.monotonic() + 300
        while len(self.ids) < at_least and time.monotonic() < deadline:
            failed = next((f for f in self._futures if f.done() and f.exception()), None)
            if failed is not None:
                failed.result()  # the load itself failed: say why
            time.sleep(0.05)

    def _wait_restarted(self, package: str, index: int, old_pid: int) -> None:
        replica = self.stack.replicas[f"{package}.{index}"]
        deadline = time.monotonic() + 60
        while self.stack.pid(replica) == old_pid:
            if time.monotonic() > deadline:
                raise AssertionError(f"{replica.name} was not restarted")
            time.sleep(0.05)
        self.stack.wait_ready([package], timeout=90)

    # -- checks -------------------------------------------------------------------------------

    def check(self) -> None:
        figures = self.figures
        ids = set(self.ids.values())
        assigned = self._wait_assigned(ids, timeout=120 + len(ids) / 20)
        with self._db("petition") as db:
            rows = db.execute("SELECT count(*) FROM petitions").fetchone()
            figures.doubled = max(0, int(rows[0] if rows else 0) - len(ids))
            history: Counter[str] = Counter(
                dict(
                    db.execute(
                        "SELECT petition_id, count(*) FROM petition_history"
                        " WHERE to_status = 'ASSIGNED' GROUP BY petition_id"
                    ).fetchall()
                )
            )
        figures.lost = len(ids - assigned)
        figures.lost_sample = sorted(ids - assigned)[:5]  # to look up in the databases and topics
        figures.assigned_history_not_one = sum(1 for i in ids if history.get(i, 0) != 1)
        events = self._event_ids(ids, "PetitionAssigned")
        self._check_overdue()
        figures.assigned_event_ids_not_one = sum(1 for i in ids if len(events.get(i, ())) != 1)
        figures.assigned_once = sum(
            1 for i in ids if i in assigned and history.get(i) == 1 and len(events.get(i, ())) == 1
        )
        self._check_notifications({e for found in events.values() for e in found})
        self._locate_on_residents_map()
        figures.grid_registry_calls = [
            self._served_calls(r.metrics) for r in self.stack.replicas_of("grid_registry")
        ]
        figures.photos = len(self.photos)
        figures.photo_reads_failed = self._read_photos()
        figures.scorecards_equal_rebuild = self._scorecards_equal_rebuild()

    def _check_notifications(self, assignments: set[str], timeout: float = 300.0) -> None:
        """Each PetitionAssigned notifies (the reporter's inbox at least), and no (event,
        recipient, channel) is notified twice: inbox items per kind, deliveries per channel.

        Waits until every assignment notified someone, or notification's group has caught up
        with dispatch's topic (lag 0), or `timeout`; then says why any are missing."""
        figures = self.figures
        deadline = time.monotonic() + timeout
        while True:
            notified = self._notified()
            caught_up = self._notification_lag() == 0
            if assignments <= notified or caught_up or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        if caught_up:  # one more read: rows committed just before the offsets were
            notified = self._notified()
        with self._db("notification") as db:
            items = db.execute("SELECT count(*) FROM inbox_items").fetchone()
            sent = db.execute("SELECT count(*) FROM deliveries").fetchone()
            twice = db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM inbox_items"
                " GROUP BY source_event_id, recipient_id, kind HAVING count(*) > 1"
                " UNION ALL SELECT 1 FROM deliveries"
                " GROUP BY source_event_id, recipient_id, channel HAVING count(*) > 1) t"
            ).fetchone()
        figures.notifications = int(items[0] if items else 0) + int(sent[0] if sent else 0)
        figures.notifications_doubled = int(twice[0] if twice else 0)
        missing = assignments - notified
        figures.assignments_not_notified = len(missing)
        if missing:
            figures.not_notified_why = dict(self._why_not_notified(missing))
            figures.not_notified_sample = sorted(missing)[:5]

    def _notified(self) -> set[str]:
        with self._db("notification") as db:
            return {
                row[0]
                for row in db.execute(
                    "SELECT DISTINCT source_event_id FROM inbox_items"
                    " UNION SELECT DISTINCT source_event_id FROM deliveries"
                ).fetchall()
            }

    def _notification_lag(self) -> int:
        return consumer_audit.lag(self._bootstrap, "notification", events_topic("dispatch"))

    def _why_not_notified(self, missing: set[str]) -> Counter[str]:
        topic = events_topic("dispatch")
        with self._db("notification") as db:
            applied = {
                row[0]
                for row in db.execute(
                    "SELECT event_id FROM kit_processed_events WHERE consumer = 'notification'"
                ).fetchall()
            }
        return consumer_audit.why_missing(
            missing,
            applied=applied & missing,
            dead=consumer_audit.dead_lettered(self._bootstrap, topic, missing),
            positions=consumer_audit.event_positions(self._bootstrap, topic, missing),
            committed=consumer_audit.committed_offsets(self._bootstrap, "notification", topic),
        )

    @property
    def _bootstrap(self) -> str:
        return f"127.0.0.1:{self.stack.ports.broker}"

    def _db(self, package: str) -> psycopg.Connection:
        return psycopg.connect(self.stack.database_url(package), autocommit=True)

    def _wait_assigned(self, ids: set[str], timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        while True:
            with self._db("petition") as db:
                assigned = {
                    row[0]
                    for row in db.execute(
                        "SELECT id FROM petitions WHERE status = 'ASSIGNED'"
                    ).fetchall()
                }
            if ids <= assigned or time.monotonic() > deadline:
                return assigned & ids
            time.sleep(0.5)

    def _check_overdue(self, timeout: float = 60.0) -> None:
        """Every late petition reported overdue (its verify step) by one event, not one per
        dispatch replica that saw it late."""
        figures = self.figures
        figures.overdue_expected = len(self.late)
        deadline = time.monotonic() + timeout
        while True:
            overdue = self._event_ids(self.late, "PetitionOverdue")
            if set(overdue) >= self.late or time.monotonic() > deadline:
                break
            time.sleep(1)
        figures.overdue_not_once = sum(1 for i in self.late if len(overdue.get(i, ())) != 1)

    def _event_ids(self, ids: set[str], event_type: str) -> dict[str, set[str]]:
        """Distinct event ids of `event_type` per petition on dispatch's topic."""
        consumer = KafkaConsumer(
            events_topic("dispatch"),
            bootstrap_servers=f"127.0.0.1:{self.stack.ports.broker}",
            auto_offset_reset="earliest",
            consumer_timeout_ms=5000,
        )
        seen: dict[str, set[str]] = {}
        try:
            for record in consumer:
                headers = dict(record.headers)
                key = record.key.decode() if record.key else ""
                if key in ids and headers["ce_type"].decode().endswith(event_type):
                    seen.setdefault(key, set()).add(headers["ce_id"].decode())
        finally:
            consumer.close()
        return seen

    def _served_calls(self, metrics_port: int) -> int:
        text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        return int(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "gridplus_grpc_server_handled_total"
                and not sample.labels.get("grpc_service", "").startswith("grpc.health")
            )
        )

    def _locate_on_residents_map(self, per_replica: int = 8) -> None:
        """Residents placing a pin on the map (petition asks grid-registry each time), through
        every petition replica, after all the restarts: the services' own calls to
        grid-registry are few once their caches are warm (on a slow machine none reached the
        restarted replica), so these make the spread visible."""
        for url in self.stack.http_urls():
            for _ in range(per_replica):
                response = requests.get(f"{url}/api/v1/map/locate", params=TIMES_SQUARE, timeout=15)
                if response.status_code != 200:
                    raise AssertionError(f"map locate on {url}: {response.status_code}")

    def _read_photos(self) -> int:
        failed = 0
        for petition_id in self.photos:
            for url in self.stack.http_urls():
                response = requests.get(
                    f"{url}/api/v1/petitions/{petition_id}/photos/1",
                    headers=self._headers,
                    timeout=10,
                )
                readable = response.status_code == 200 and bool(response.content)
                if not readable or Image.open(io.BytesIO(response.content)).size != (24, 16):
                    failed += 1
        return failed

    def _scorecards_equal_rebuild(self, timeout: float = 90.0) -> bool:
        """Scorecards of the live evaluation database equal those `rebuild` replays into an
        empty one. The live service may still be catching up (compared again for a while), and
        an event published after a rebuild read the topics is in the next rebuild."""
        name = f"{self.stack.database_names['evaluation']}_rebuild"
        deadline = time.monotonic() + timeout
        while True:
            drop_database(name)
            url = ensure_database(name)
            try:
                self.stack.run_command(
                    "evaluation", "rebuild", env={"GRIDPLUS_EVALUATION_DATABASE_URL": url}
                )
                rebuilt = self._scorecards(url)
            finally:
                drop_database(name)
            settle = time.monotonic() + 10
            while True:
                live = self._scorecards(self.stack.database_url("evaluation"))
                if live == rebuilt:
                    return any(rebuilt.values())
                if time.monotonic() > min(settle, deadline):
                    break
                time.sleep(1)
            if time.monotonic() > deadline:
                return False

    def _scorecards(self, url: str) -> dict[str, Any]:
        """Every kind's scorecards of this month, as `export --format json` writes them."""
        engine = create_database_engine(url)
        try:
            sessions = create_session_factory(engine)
            window = Window(*period_range(PeriodKind.MONTH, SystemClock().now().date()))
            cards: dict[str, Any] = {}
            with transaction(sessions) as session:
                for kind, level in SUBJECTS:
                    found = scorecards.scorecards(session, kind, window, grid_level=level)
                    cards[f"{kind.value}{level}"] = json.loads(convert.to_json(found))
            return cards
        finally:
            engine.dispose()


@contextmanager
def s3_photo_store() -> Iterator[dict[str, str]]:
    """moto's S3 server on a loopback port with a bucket of its own: the environment that puts
    petition's photos there (every replica reads the one bucket, as in a multi-replica install)."""
    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per S3 request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        wait_for_port(port)
        env = {
            "GRIDPLUS_PETITION_PHOTO_STORE": "s3",
            "GRIDPLUS_PETITION_S3_BUCKET": f"gridplus-chaos-{uuid.uuid4().hex[:8]}",
            "GRIDPLUS_PETITION_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "GRIDPLUS_PETITION_S3_REGION": "us-east-1",
            "GRIDPLUS_PETITION_S3_ACCESS_KEY_ID": "gridplus-chaos",
            "GRIDPLUS_PETITION_S3_SECRET_ACCESS_KEY": "gridplus-chaos-secret",
        }
        boto3.client(
            "s3",
            endpoint_url=env["GRIDPLUS_PETITION_S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="gridplus-chaos",
            aws_secret_access_key="gridplus-chaos-secret",
        ).create_bucket(Bucket=env["GRIDPLUS_PETITION_S3_BUCKET"])
        yield env
    finally:
        server.stop()


def report(figures: Figures) -> str:
    return json.dumps(figures.__dict__, indent=2, ensure_ascii=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos")
    parser.add_argument("--petitions", type=int, default=10_000)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument(
        "--photos", choices=["s3", "local"], default="s3", help="moto's S3 server or var/photos"
    )
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="gridplus-chaos-"))
    with ExitStack() as cleanup:
        photo_env = cleanup.enter_context(s3_photo_store()) if args.photos == "s3" else {}
        stack = ScaledStack(
            var_dir,
            scattered_replicas(args.replicas),
            broker_port=free_port(),
            webhook_receiver=free_port(),
            database_prefix=f"gridplus_chaos_{uuid.uuid4().hex[:8]}",
            extra_env={**CHAOS_ENV, **photo_env},
        )
        print(
            f"chaos: {args.petitions} petitions, {args.replicas} replicas, photos in "
            f"{args.photos}; logs in {var_dir}/logs",
            flush=True,
        )
        cleanup.callback(stack.drop_databases)
        cleanup.callback(stack.stop)
        stack.start()
        figures = Chaos(stack, args.petitions, workers=args.workers).run()
    print(report(figures))
    problems = figures.problems()
    for problem in problems:
        print(f"FAILED: {problem}")
    raise SystemExit(1 if problems else 0)


def scattered_replicas(count: int) -> list[Replica]:
    """default_replicas' shape on free ports, so a chaos run stands beside `make run`."""
    return [
        Replica(r.package, r.index, free_port(), free_port(), free_port() if r.http else None)
        for r in default_replicas(count)
    ]


if __name__ == "__main__":
    main()
