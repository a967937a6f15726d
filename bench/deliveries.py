"""Notification's delivery worker end to end (issue 13): N pending deliveries, half signed
webhooks to a real HTTP receiver and half emails to a real SMTP sink (aiosmtpd), both on loopback
in a child process (so this process's CPU is the worker's), sent by the real DeliveryWorker loop
until none is pending. Deliveries/s, CPU ms per delivery (the worker's process, and the
receivers' for scale: they share the machine's cores), and the exactly-once check: every
delivery id reached its receiver once (missing 0, doubled 0).

    python -m bench.deliveries [--db sqlite|postgresql] [--quick]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gridplus.kit.clock import SystemClock
from gridplus.kit.db import transaction
from gridplus.kit.egress import AllowList, EgressGuard
from gridplus.kit.pii import KeyRing
from gridplus.notification.channels.base import ChannelAdapter
from gridplus.notification.channels.email import SmtpEmail, SmtpSettings
from gridplus.notification.channels.signing import DELIVERY_HEADER
from gridplus.notification.channels.webhook import SignedWebhook
from gridplus.notification.domain.notices import Channel
from gridplus.notification.jobs.delivery_worker import DeliveryWorker, WorkerSettings
from gridplus.notification.storage import deliveries
from gridplus.notification.storage.deliveries import NewDelivery
from gridplus.notification.storage.models import WebhookSubscription
from tests.support.ports import free_port, wait_for_port
from tests.support.store import migrated_store
from tools.scaled_stack import drop_database, ensure_database

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "services/gridplus/notification/storage/alembic"
KEYS = KeyRing([("bench", bytes(range(32)))])
FULL, QUICK = 5_000, 1_000
# The loopback receivers, as the integration tests allow them (production allows public only).
LOOPBACK = EgressGuard(AllowList.parse("127.0.0.1"))


# -- the receivers, in a child process ----------------------------------------------------------


def _receivers(http_port: int, smtp_port: int, pipe: Connection) -> None:
    """Serve both receivers, counting delivery ids, until asked for the counts (sent with the
    CPU seconds the receivers used meanwhile)."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    class Hook(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive for a client that reuses its connection

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                seen[f"webhook:{self.headers.get(DELIVERY_HEADER, '')}"] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            for line in envelope.content.split(b"\r\n"):
                if line.lower().startswith(b"x-gridplus-delivery:"):
                    with lock:
                        seen[f"email:{line.split(b':', 1)[1].strip().decode()}"] += 1
                    break
            return "250 OK"

    http = ThreadingHTTPServer(("127.0.0.1", http_port), Hook)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    pipe.send("ready")
    cpu = time.process_time()
    pipe.recv()  # "counts"
    with lock:
        pipe.send((dict(seen), time.process_time() - cpu))
    smtp.stop()
    http.shutdown()


@contextmanager
def receivers() -> Iterator[tuple[int, int, Connection]]:
    http_port, smtp_port = free_port(), free_port()
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_receivers, args=(http_port, smtp_port, theirs), daemon=True
    )
    child.start()
    try:
        ours.recv()
        wait_for_port(http_port)
        wait_for_port(smtp_port)
        yield http_port, smtp_port, ours
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()


@contextmanager
def scratch_url(db: str) -> Iterator[str]:
    if db != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/deliveries.db"
        return
    name = f"gridplus_bench_deliveries_{uuid.uuid4().hex[:8]}"
    try:
        yield ensure_database(name)
    finally:
        drop_database(name)


# -- the run --------------------------------------------------------------------------------


def _store(sessions: Any, n: int, http_port: int, clock: SystemClock) -> set[str]:
    """N pending deliveries, half webhooks (one subscription), half emails; their keys."""
    now = clock.now()
    subscription = uuid.uuid4()
    news = []
    for i in range(n):
        if i % 2:
            channel, recipient = Channel.EMAIL, f"person-{i}"
            address = f"person-{i}@bench.example"
        else:
            channel, recipient = Channel.WEBHOOK, str(subscription)
            address = f"http://127.0.0.1:{http_port}/hooks/gridplus"
        news.append(
            NewDelivery(
                source_event_id=f"bench-event-{i}",
                event_type="gridplus.petition.v1.PetitionOverdue",
                recipient_id=recipient,
                channel=channel,
                kind="petition_overdue",
                address=address,
                title=f"Petition {i} is overdue",
                body=json.dumps({"petition_id": f"p-{i}", "grid_code": "G-01-01-01"}),
            )
        )
    with transaction(sessions) as session:
        session.add(
            WebhookSubscription(
                id=subscription,
                owner_id="bench",
                url=f"http://127.0.0.1:{http_port}/hooks/gridplus",
                secret="bench-secret",
                event_types="gridplus.petition.v1.PetitionOverdue",
                created_at=now,
            )
        )
        session.flush()
        for start in range(0, n, 1000):
            deliveries.create_many(session, news[start : start + 1000], now=now, keys=KEYS)
    with transaction(sessions) as session:
        rows = deliveries.get_all(session, limit=n + 1)
    return {f"{r.channel.value}:{r.id}" for r in rows}


def run(db: str, n: int) -> dict[str, float]:
    clock = SystemClock()
    with scratch_url(db) as url, migrated_store(url, MIGRATIONS) as store:  # noqa: SIM117
        with receivers() as (http_port, smtp_port, pipe):
            keys = _store(store.sessions, n, http_port, clock)
            adapters: dict[Channel, ChannelAdapter] = {
                Channel.EMAIL: SmtpEmail(
                    SmtpSettings("127.0.0.1", smtp_port, "Grid+ <noreply@gridplus.test>"),
                    egress=LOOPBACK,
                ),
                Channel.WEBHOOK: SignedWebhook(clock, egress=LOOPBACK),
            }
            worker = DeliveryWorker(
                store.sessions,
                adapters,
                clock,
                WorkerSettings(backlog_every=timedelta(hours=1)),
                keys=KEYS,
            )
            stop = threading.Event()
            cpu, started = time.process_time(), time.perf_counter()
            thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
            thread.start()
            while True:
                time.sleep(0.05)
                with transaction(store.sessions) as session:
                    if not deliveries.count_pending(session):
                        break
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            stop.set()
            thread.join(30)
            pipe.send("counts")
            seen, receivers_cpu = pipe.recv()
    missing = sum(1 for key in keys if key not in seen)
    doubled = sum(1 for count in seen.values() if count > 1)
    strays = sum(1 for key in seen if key not in keys)
    return {
        "rate": n / wall,
        "cpu_ms": cpu * 1000 / n,
        "missing": missing,
        "doubled": doubled + strays,
        "wall": wall,
        "receivers_cpu_ms": receivers_cpu * 1000 / n,
    }


def report(db: str = "sqlite", quick: bool = False) -> dict[str, tuple[float, str]]:
    n = QUICK if quick else FULL
    got = run(db, n)
    print(
        f"{n:,} deliveries ({n // 2:,} webhook, {n - n // 2:,} email) on {db}:"
        f" {got['rate']:,.0f} deliveries/s ({got['wall']:.2f} s),"
        f" {got['cpu_ms']:.2f} ms CPU per delivery (worker process;"
        f" receivers {got['receivers_cpu_ms']:.2f});"
        f" exactly once: missing {got['missing']:.0f}, doubled {got['doubled']:.0f}",
        flush=True,
    )
    return {
        f"notification deliveries/s ({db})": (got["rate"], "deliveries/s"),
        f"notification CPU per delivery ({db})": (got["cpu_ms"], "ms"),
        f"notification deliveries missing ({db})": (got["missing"], "deliveries"),
        f"notification deliveries doubled ({db})": (got["doubled"], "deliveries"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.deliveries", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} deliveries, not {FULL:,}")
    args = parser.parse_args()
    got = report(args.db, args.quick)
    if (
        got[f"notification deliveries missing ({args.db})"][0]
        or got[f"notification deliveries doubled ({args.db})"][0]
    ):
        raise SystemExit("exactly-once check failed")


if __name__ == "__main__":
    main()
