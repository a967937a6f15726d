"""The whole path under a fixed concurrent load: HTTP submit → … → petition ASSIGNED.

Assignment times come from the petition service's own PetitionStatusChanged events (to
ASSIGNED), read from the broker by a listener, so the bench polls no API: a petition counts as
ASSIGNED at its event's record timestamp (the wall-clock time petition's outbox relay sent it,
after the change was committed and a resident's page could show it), not when the listener
happened to read it, so the listener can look rarely and leave the cores to the services.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kafka import KafkaConsumer

from bench.figures import percentile
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.auth import Role
from gridplus.kit.topology import events_topic
from tools.stack import LocalStack


@dataclass
class PathResult:
    petitions: int  # submitted and seen ASSIGNED
    concurrency: int
    seconds: float  # first submit → last ASSIGNED
    latencies: list[float]
    submitted: set[str] = field(default_factory=set)  # every petition id the intake accepted
    intake_stopped: float = 0.0  # time.monotonic() when the last submit was answered
    retries: int = 0  # submits tried again after a timeout or a 5xx (same Idempotency-Key)
    intake_seconds: float = 0.0  # first submit → last submit answered
    # submit → answered, then each of HOPS (broker timestamps): where the latency goes
    hops: dict[str, list[float]] = field(default_factory=dict)

    @property
    def intake_rate(self) -> float:
        """Petitions/s the intake accepted: below an open loop's rate when it fell behind."""
        return len(self.submitted) / self.intake_seconds if self.intake_seconds > 0 else 0.0

    @property
    def rate(self) -> float:
        return self.petitions / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


# Seconds between empty polls of the assignment listener. Its reading time is not the
# assignment time (the record's timestamp is), so it can look rarely: an empty poll costs
# kafka-python ~1.5-2 ms of CPU against noida-db, and at 5 ms pauses the listener took ~0.3 of
# the machine's 2 cores from the services it measures.
LISTEN_PAUSE = 0.05


# Where the time between submit and ASSIGNED goes, from the broker's record timestamps (set by the
# producing relay when it sends): (hop, the event that ends it, the topic it is on).
HOPS = (
    ("relay to broker", "PetitionSubmitted", "petition"),
    ("dispatch", "PetitionAssigned", "dispatch"),
    ("petition", "PetitionStatusChanged", "petition"),
)
_STAMPED = {f"gridplus.events.v1.{event}".encode(): event for _, event, _ in HOPS}


class AssignmentListener:
    def __init__(self, bootstrap: str) -> None:
        # petition id -> its ASSIGNED event's record timestamp (s, wall clock), first seen
        self.assigned_at: dict[str, float] = {}
        # (event type, petition id) -> the record's timestamp (s, wall clock), first seen
        self.stamped: dict[tuple[str, str], float] = {}
        self._consumer = KafkaConsumer(
            events_topic("petition"),
            events_topic("dispatch"),
            bootstrap_servers=bootstrap,
            auto_offset_reset="latest",
            group_id=None,
        )
        self._consumer.poll(timeout_ms=1000)  # join and take positions before the load starts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            batches = self._consumer.poll(timeout_ms=0)
            if not batches:
                # noida-db answers an empty fetch at once, so a blocking poll(timeout_ms=100)
                # spun this thread at a whole core and took it from the services it measures.
                self._stop.wait(LISTEN_PAUSE)
            for records in batches.values():
                for record in records:
                    self._note(record)

    def _note(self, record: Any) -> None:
        event = _STAMPED.get(dict(record.headers).get("ce_type", b""))
        if event is None:
            return
        payload = getattr(events_pb2, event).FromString(record.value)
        if event == "PetitionStatusChanged":
            if payload.to_status != petition_pb2.PETITION_STATUS_ASSIGNED:
                return
            self.assigned_at.setdefault(payload.petition_id, record.timestamp / 1e3)
        self.stamped.setdefault((event, payload.petition_id), record.timestamp / 1e3)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._consumer.close()


def run_load(
    stack: LocalStack,
    points: list[tuple[float, float]],
    petitions: int,
    concurrency: int,
    rate: float | None = None,
    wait: float = 120.0,
) -> PathResult:
    """Submit `petitions` from `concurrency` clients: as fast as they go (closed loop), or
    paced at `rate` per second (open loop, for latency below saturation). Waits up to `wait`
    seconds after the last submit for the last ASSIGNED."""
    listener = AssignmentListener(f"127.0.0.1:{stack.ports.broker}")
    headers = {"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"}
    submitted_at: dict[str, float] = {}  # petition id -> when its submit was sent (wall clock)
    answered: dict[str, tuple[float, float]] = {}  # petition id -> (sent, answered), wall clock
    local = threading.local()
    started, started_wall = time.perf_counter(), time.time()

    retries = [0]
    lock = threading.Lock()

    def submit(n: int) -> None:
        if rate is not None:
            time.sleep(max(0.0, started + n / rate - time.perf_counter()))
        if not hasattr(local, "http"):
            local.http = Intake(stack.http_url)
        lat, lon = points[n % len(points)]
        sent_wall = time.time()
        body = {"title": f"bench {n}", "description": "路灯不亮", "lat": lat, "lon": lon}
        petition_id, tries = _post(local.http, body, headers)
        answered_wall = time.time()
        with lock:
            submitted_at[petition_id] = sent_wall
            answered[petition_id] = (sent_wall, answered_wall)
            retries[0] += tries - 1

    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(submit, range(petitions)))
        intake_stopped = time.monotonic()
        intake_seconds = time.perf_counter() - started
        deadline = intake_stopped + wait
        while len(listener.assigned_at.keys() & submitted_at.keys()) < petitions:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        listener.close()
    done = {i: listener.assigned_at[i] for i in submitted_at if i in listener.assigned_at}
    finished = max(done.values()) if done else time.time()
    return PathResult(
        petitions=len(done),
        concurrency=concurrency,
        seconds=finished - started_wall,
        latencies=[done[i] - submitted_at[i] for i in done],
        submitted=set(submitted_at),
        intake_stopped=intake_stopped,
        retries=retries[0],
        intake_seconds=intake_seconds,
        hops=_hops(answered, listener.stamped, set(done)),
    )


def _hops(
    answered: dict[str, tuple[float, float]],
    stamped: dict[tuple[str, str], float],
    assigned: set[str],
) -> dict[str, list[float]]:
    """Seconds spent in each hop by every ASSIGNED petition whose events were all seen."""
    hops: dict[str, list[float]] = {hop: [] for hop in ("answer", *(h for h, _, _ in HOPS))}
    for petition_id in assigned:
        times = [answered[petition_id][1]] + [
            stamped.get((e, petition_id), 0.0) for _, e, _ in HOPS
        ]
        if not all(times):
            continue
        hops["answer"].append(answered[petition_id][1] - answered[petition_id][0])
        for (hop, _, _), before, after in zip(HOPS, times, times[1:], strict=False):
            hops[hop].append(after - before)
    return hops


class Intake:
    """One client's keep-alive connection to the petition intake. http.client, not requests:
    the load generator shares the two cores with the services it measures, and requests cost
    ~1.1 ms of CPU per POST here against http.client's ~0.3 ms."""

    def __init__(self, base_url: str) -> None:
        address = urlsplit(base_url)
        self._host = address.hostname or "127.0.0.1"
        self._port = address.port or 80
        self._connection: http.client.HTTPConnection | None = None

    def post(self, body: dict[str, object], headers: dict[str, str]) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            self._connection.request(
                "POST",
                "/api/v1/petitions",
                body=json.dumps(body).encode(),
                headers={**headers, "Content-Type": "application/json"},
            )
            response = self._connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            self._connection = None  # a fresh connection for the retry
            raise


def _post(intake: Intake, body: dict[str, object], headers: dict[str, str]) -> tuple[str, int]:
    """The petition's id and how many tries it took. A timeout or a 5xx is tried again with the
    same Idempotency-Key (as a resident's app would): on a loaded machine one slow answer must
    not end the run, nor submit the petition twice."""
    keyed = {**headers, "Idempotency-Key": f"bench-{uuid.uuid4()}"}
    deadline = time.monotonic() + 180
    tries = 0
    while True:
        tries += 1
        try:
            status, answer = intake.post(body, keyed)
            if status < 500:
                if status >= 400:
                    raise RuntimeError(f"intake refused a petition: {status} {answer[:300]!r}")
                return str(json.loads(answer)["id"]), tries
        except (OSError, http.client.HTTPException):  # refused, reset, timed out
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"petition intake did not answer within 180 s ({tries} tries)")
        time.sleep(0.2)


def hops_line(result: PathResult) -> str:
    """p50 / p99 of each hop, in order: submit answered, outbox relay to the broker, dispatch's
    consumer to its relay's send, petition's consumer to its relay's send."""
    parts = [
        f"{hop} {percentile(times, 50) * 1e3:.0f} / {percentile(times, 99) * 1e3:.0f} ms"
        for hop, times in result.hops.items()
        if times
    ]
    return "hops p50 / p99: " + ", ".join(parts) if parts else "hops: no petition seen whole"


def summary(result: PathResult) -> str:
    if not result.latencies:
        return f"no petition ASSIGNED of {len(result.submitted)} submitted"
    mean_ms = statistics.mean(result.latencies) * 1e3
    return (
        f"{result.rate:,.1f} petitions/s submit→ASSIGNED "
        f"({result.petitions} of {len(result.submitted)} petitions, "
        f"{result.concurrency} concurrent clients, "
        f"{result.seconds:.1f} s); latency p50 {result.percentile(50) * 1e3:.0f} ms, "
        f"p99 {result.percentile(99) * 1e3:.0f} ms, mean {mean_ms:.0f} ms"
    )
