"""Dispatch's PetitionSubmitted handling in one process, without the broker: the handler's
`prepare` (grid-registry through the per-version cache, the classifier) and its `apply` in a
transaction, as the consumer runs them, on a temporary SQLite file and on PostgreSQL
(127.0.0.1:5432, trust auth). The grid registry is the tests' stub behind the kit's gRPC server
in this process, serving outlines, so after warm-up the cache answers. Logging (JSON at INFO, to
/dev/null) and tracing are configured as the service configures them. Prints CPU ms per petition
(process time) and wall time per petition (the consumer thread's pace, which on PostgreSQL
includes waiting for each statement's answer) twice per database: one transaction per event (the
consumer's per-event path), and through the kit's BatchApplier in batches of `--batch` (default
the consumer's 200), as the consumer applies a poll. `--sklearn` scores with the fitted
scikit-learn pipelines per text, as dispatch did before its classifier became arrays (for
comparison).

    python -m bench.dispatch_routing [N] [--batch=200] [--only=sqlite|postgresql|batch|each]
        [--open=10000] [--sklearn]

`--only=` runs one database, or only the batched mode, or only one transaction per event (for a
profile of one thing). `--open=K` starts each database with K open assignments of the people the
petitions go to (a backlog: routing reads their workload), written before the newest migration
as a database of the previous release holds them, so the migrations it runs fill in whatever
they keep. On PostgreSQL it also prints the rows the database fetched per petition (the
database's tup_fetched over the measured petitions, its backends' statistics flushed first) and
the CPU its server processes spent per petition (from /proc: a server on this machine).
The migrations are the imported dispatch package's, so an older checkout on PYTHONPATH (its
`services` before this one's) is measured with its own schema.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, insert, select, text

import gridplus.dispatch
from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.dispatch.domain import classifier as c
from gridplus.dispatch.domain.calendar import BusinessCalendar
from gridplus.dispatch.domain.time_limits import TimePolicy
from gridplus.dispatch.handlers.grid_cache import CachedGridDirectory
from gridplus.dispatch.handlers.routing import Classifier, PetitionRouter
from gridplus.dispatch.messaging.consumers import handlers
from gridplus.dispatch.storage.models import OPEN, AssignmentRow
from gridplus.dispatch.storage.training import trained_classifier, training_rows
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.batch import DEFAULT_MAX_BATCH, BatchApplier, Prepared
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.events import Event, encode_headers
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.interceptors import service_policy
from gridplus.kit.logging import configure_logging
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.tracing import configure_tracing
from tests.integration.dispatch.grid_registry_stub import CHIEF, SQUARES, WORKER
from tests.integration.dispatch.test_grid_cache_routing import METHODS, NAME, VersionedSquares
from tests.support.grpc import start_server
from tests.support.postgres import create_database, drop_database

MIGRATIONS = Path(gridplus.dispatch.__file__).parent / "storage/alembic"
BACKLOG_REVISION = "dispatch_0007"  # the backlog's schema: before the kept counts
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
JWT = JwtSettings("bench-secret-bench-secret-bench-secret", "gridplus")
TITLES = (
    ("公交站点撤销，希望恢复公交线路和公交车站", ""),
    ("拖欠工资", "公司拖欠农民工工资三个月，社保也没有缴纳"),
    ("No heat", "apartment has no heat and no hot water"),
    ("Noise - Residential", "loud music party next door every night"),
)


def events(count: int) -> list[Event]:
    found = []
    for n in range(count):
        square = SQUARES[n % len(SQUARES)]
        title, text = TITLES[n % len(TITLES)]
        lat, lon = square.centre()
        payload = events_pb2.PetitionSubmitted(
            petition_id=f"p-{uuid.uuid4().hex[:12]}",
            title=title,
            description=text,
            location=common_pb2.GeoPoint(lat=lat, lon=lon),
        )
        payload.submitted_at.FromDatetime(T0)
        key = payload.petition_id
        found.append(Event.create(payload, key=key, source="/gridplus/petition", time=T0))
    return found


def record(offset: int, event: Event) -> Any:
    """`event` as the consumer polls it (a ConsumerRecord's fields)."""
    headers = encode_headers(
        event_id=event.id,
        ce_type=event.type,
        source=event.source,
        time=event.time,
        traceparent=None,
    )
    return SimpleNamespace(
        key=event.key.encode(),
        value=event.payload.SerializeToString(),
        headers=headers,
        topic="gridplus.petition.events.v1",
        partition=0,
        offset=offset,
    )


def one_by_one(record: Any, attempts: int) -> bool:
    raise AssertionError(f"record {record.offset} left the batch for the per-event path")


def backlog(engine: Engine, size: int) -> None:
    """`size` open assignments of the squares' workers and chiefs, round robin, written in the
    schema of BACKLOG_REVISION; then the newest migrations."""
    migrate(engine, None)  # the kit's tables
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes.update(engine=engine, version_table="alembic_version")
    command.upgrade(config, BACKLOG_REVISION)
    people = [pid for s in SQUARES for pid, role in s.members if role in (WORKER, CHIEF)]
    rows = [
        {
            "petition_id": f"backlog-{n}",
            "grid_code": "MN0502",
            "grid_level": 3,
            "grid_path": ["1", "MN05", "MN0502"],
            "grid_set_version": 1,
            "assignee_id": people[n % len(people)],
            "assignee_role": "grid_worker",
            "category": "other",
            "step": "verify",
            "deadline": T0,
            "assigned_at": T0,
            "reasons": [],
            "status": OPEN,
        }
        for n in range(size)
    ]
    statement = insert(AssignmentRow.__table__)  # type: ignore[arg-type]
    with engine.begin() as connection:
        for first in range(0, size, 1000):
            connection.execute(statement, rows[first : first + 1000])
    migrate(engine, MIGRATIONS)


def tuples_fetched(engine: Engine) -> int:
    """The database's tup_fetched, every backend's statistics flushed (their connections closed
    and the collector given time): a fresh snapshot from a new connection."""
    engine.dispose()
    time.sleep(1.5)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        return int(
            connection.execute(
                text("SELECT tup_fetched FROM pg_stat_database WHERE datname = current_database()")
            ).scalar_one()
        )


def backend_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds per server process connected to the bench's database, from /proc (the
    PostgreSQL on this machine): where the rows routing reads are fetched, outside this
    process's own CPU time."""
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        found = {}
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone, or a server on another machine
                continue
            found[int(pid)] = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return found


def run(database_url: str, count: int, registry_port: int, batch: int, open_: int = 0) -> float:
    """CPU ms per petition over `count` petitions, after a warm-up of 50; `batch` > 0: through
    the kit's BatchApplier, `batch` records per transaction; `open_` open assignments before."""
    engine = create_database_engine(database_url)
    if open_:
        backlog(engine, open_)
    migrate(engine, MIGRATIONS)
    sessions = create_session_factory(engine)
    clock = ManualClock(T0)
    channel = service_channel(f"127.0.0.1:{registry_port}", ServiceToken(JWT, "dispatch"))
    router = PetitionRouter(
        directory=CachedGridDirectory(GrpcGridDirectory(channel, timeout=5.0)),
        outbox=Outbox(topic="bench.dispatch.events.v1", source="/gridplus/dispatch", clock=clock),
        clock=clock,
        policy=TimePolicy(BusinessCalendar(), {}),
        classifier=CLASSIFIER,
        threshold=0.35,
    )
    handler = handlers(router)["gridplus.events.v1.PetitionSubmitted"]
    assert isinstance(handler, Prepared)

    def handle(event: Event) -> None:
        placement = handler.prepare(event)
        with transaction(sessions) as session:
            handler.apply(session, event, placement)

    applier = BatchApplier(
        name="dispatch",
        handlers=handlers(router, sessions=sessions),  # as the service: a poll's one routed read
        sessions=sessions,
        clock=clock,
        after_commit=lambda: None,
    )
    for event in events(50):
        handle(event)
    measured = events(count)
    records = [record(offset, event) for offset, event in enumerate(measured)]
    asked = len(SERVICER.calls)
    postgres = engine.dialect.name == "postgresql"
    fetched = tuples_fetched(engine) if postgres else 0
    server = backend_cpu(engine) if postgres else {}
    started, wall = time.process_time(), time.perf_counter()
    if batch:
        for first in range(0, count, batch):
            assert applier.apply(records[first : first + batch], one_by_one) is None
    else:
        for event in measured:
            handle(event)
    spent, wall = time.process_time() - started, time.perf_counter() - wall
    # The consumer thread's pace: on PostgreSQL it also waits for each statement's answer.
    print(f"  wall time: {wall / count * 1000:.2f} ms per petition")
    if postgres:
        spent_there = sum(t - server.get(pid, 0.0) for pid, t in backend_cpu(engine).items())
        fetched = tuples_fetched(engine) - fetched
        print(f"  rows fetched per petition: {fetched / count:.1f}")
        print(f"  PostgreSQL backends' CPU: {spent_there / count * 1000:.2f} ms per petition")
    print(f"  grid-registry calls while measured: {dict(Counter(SERVICER.calls[asked:]))}")
    with transaction(sessions) as session:
        assigned = session.execute(select(func.count()).select_from(AssignmentRow)).scalar_one()
    print(f"  assignments: {assigned} of {count + 50} petitions and {open_} of the backlog")
    channel.close()
    engine.dispose()
    return spent / count * 1000


class PipelineClassifier:
    """The fitted scikit-learn pipelines, each text through `decision_function` (the former way)."""

    def __init__(self) -> None:
        rows = training_rows()
        petitions = c.chinese_petitions(rows.cn_petitions)
        taxonomy = c.chinese_taxonomy(rows.cn_taxonomy, set(petitions.labels))
        self._chinese = c._fit(c.chinese_model(), c._join(petitions, taxonomy))
        self._english = c._fit(c.english_model(), c.nyc_examples(rows.nyc311_types))

    def predict(self, title: str, description: str) -> c.Prediction:
        if c.is_chinese(f"{title}{description}"):
            model, text, language = self._chinese, c.chinese_text(title, description), "zh"
        else:
            model, text, language = self._english, c.english_text(title, description), "en"
        scores = np.atleast_2d(model.decision_function([text]))[0]
        if len(scores) == 1:
            scores = np.hstack([-scores, scores])
        scaled = np.exp(c._TEMPERATURE[language] * (scores - scores.max()))
        probabilities = scaled / scaled.sum()
        order = np.argsort(-probabilities, kind="stable")[: c.SUGGESTIONS]
        ranked = tuple((str(model.classes_[i]), float(probabilities[i])) for i in order)
        return c.Prediction(ranked[0][0], ranked[0][1], language, ranked)


CLASSIFIER: Classifier = PipelineClassifier() if "--sklearn" in sys.argv else trained_classifier()
SERVICER = VersionedSquares()


def main() -> None:
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    count = int(numbers[0]) if numbers else 1000
    sizes = [arg.removeprefix("--batch=") for arg in sys.argv[1:] if arg.startswith("--batch=")]
    batch = int(sizes[0]) if sizes else DEFAULT_MAX_BATCH
    only = {arg.removeprefix("--only=") for arg in sys.argv[1:] if arg.startswith("--only=")}
    opens = [arg.removeprefix("--open=") for arg in sys.argv[1:] if arg.startswith("--open=")]
    open_ = int(opens[0]) if opens else 0
    # As the service: JSON lines at INFO (here to /dev/null), spans continued but not exported.
    configure_logging("dispatch")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    configure_tracing("dispatch")
    registry = start_server(
        lambda s: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(SERVICER, s),
        NAME,
        service_policy(NAME, {m: frozenset({Role.SERVICE}) for m in METHODS}),
        jwt=JWT,
    )
    try:
        modes = (batch,) if "batch" in only else (0,) if "each" in only else (0, batch)
        for size in modes:
            how = f"batches of {size}" if size else "one transaction per event"
            how += f", {open_} open before" if open_ else ""
            if "postgresql" not in only:
                with tempfile.TemporaryDirectory() as directory:
                    url = f"sqlite:///{directory}/dispatch.db"
                    sqlite = run(url, count, registry.port, size, open_)
                print(f"SQLite:     {sqlite:.2f} ms CPU per petition ({count} petitions, {how})")
            if "sqlite" not in only:
                name, url = create_database("bench_dispatch")
                try:
                    postgres = run(url, count, registry.port, size, open_)
                finally:
                    drop_database(name)
                print(f"PostgreSQL: {postgres:.2f} ms CPU per petition ({count} petitions, {how})")
    finally:
        registry.stop(0).wait(5)


if __name__ == "__main__":
    main()
