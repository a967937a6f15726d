"""Dispatch's PetitionSubmitted handling in one process, without the broker: the handler's
`prepare` (grid-registry through the per-version cache, the classifier) and its `apply` in a
transaction, as the consumer runs them, on a temporary SQLite file and on PostgreSQL
(127.0.0.1:5432, trust auth). The grid registry is the tests' stub behind the kit's gRPC server
in this process, serving outlines, so after warm-up the cache answers. Logging (JSON at INFO, to
/dev/null) and tracing are configured as the service configures them. Prints CPU ms per petition
(process time) twice per database: one transaction per event (the consumer's per-event path), and
through the kit's BatchApplier in batches of `--batch` (default the consumer's 200), as the
consumer applies a poll. `--sklearn` scores with the fitted scikit-learn pipelines per text, as
dispatch did before its classifier became arrays (for comparison).

    python -m bench.dispatch_routing [N] [--batch=200] [--only=sqlite|postgresql|batch] [--sklearn]

`--only=` runs one database, or only the batched mode (for a profile of one thing).
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
from sqlalchemy import func, select

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
from gridplus.dispatch.storage.models import AssignmentRow
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
from tests.integration.dispatch.grid_registry_stub import SQUARES
from tests.integration.dispatch.test_grid_cache_routing import METHODS, NAME, VersionedSquares
from tests.support.grpc import start_server
from tests.support.postgres import create_database, drop_database

MIGRATIONS = Path(__file__).resolve().parents[1] / "services/gridplus/dispatch/storage/alembic"
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


def run(database_url: str, count: int, registry_port: int, batch: int) -> float:
    """CPU ms per petition over `count` petitions, after a warm-up of 50; `batch` > 0: through
    the kit's BatchApplier, `batch` records per transaction."""
    engine = create_database_engine(database_url)
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
        handlers=handlers(router),
        sessions=sessions,
        clock=clock,
        after_commit=lambda: None,
    )
    for event in events(50):
        handle(event)
    measured = events(count)
    records = [record(offset, event) for offset, event in enumerate(measured)]
    asked = len(SERVICER.calls)
    started = time.process_time()
    if batch:
        for first in range(0, count, batch):
            assert applier.apply(records[first : first + batch], one_by_one) is None
    else:
        for event in measured:
            handle(event)
    spent = time.process_time() - started
    print(f"  grid-registry calls while measured: {dict(Counter(SERVICER.calls[asked:]))}")
    with transaction(sessions) as session:
        assigned = session.execute(select(func.count()).select_from(AssignmentRow)).scalar_one()
    print(f"  assignments: {assigned} of {count + 50} petitions")
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
        for size in (0, batch) if "batch" not in only else (batch,):
            how = f"batches of {size}" if size else "one transaction per event"
            if "postgresql" not in only:
                with tempfile.TemporaryDirectory() as directory:
                    sqlite = run(f"sqlite:///{directory}/dispatch.db", count, registry.port, size)
                print(f"SQLite:     {sqlite:.2f} ms CPU per petition ({count} petitions, {how})")
            if "sqlite" not in only:
                name, url = create_database("bench_dispatch")
                try:
                    postgres = run(url, count, registry.port, size)
                finally:
                    drop_database(name)
                print(f"PostgreSQL: {postgres:.2f} ms CPU per petition ({count} petitions, {how})")
    finally:
        registry.stop(0).wait(5)


if __name__ == "__main__":
    main()
