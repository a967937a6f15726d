"""Dispatch's PetitionSubmitted handling in one process, without the broker: the handler's
`prepare` (grid-registry through the per-version cache, the classifier) and its `apply` in a
transaction, as the consumer runs them, on a temporary SQLite file and on PostgreSQL
(127.0.0.1:5432, trust auth). The grid registry is the tests' stub behind the kit's gRPC server
in this process, serving outlines, so after warm-up the cache answers. Prints CPU ms per petition
(process time). `--sklearn` scores with the fitted scikit-learn pipelines per text, as dispatch
did before its classifier became arrays (for comparison).

    python -m bench.dispatch_routing [N] [--sklearn]
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

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
from gridplus.kit.batch import Prepared
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.events import Event
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.interceptors import service_policy
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
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


def run(database_url: str, count: int, registry_port: int) -> float:
    """CPU ms per petition over `count` petitions, after a warm-up of 50."""
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

    for event in events(50):
        handle(event)
    batch = events(count)
    asked = len(SERVICER.calls)
    started = time.process_time()
    for event in batch:
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
    registry = start_server(
        lambda s: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(SERVICER, s),
        NAME,
        service_policy(NAME, {m: frozenset({Role.SERVICE}) for m in METHODS}),
        jwt=JWT,
    )
    try:
        with tempfile.TemporaryDirectory() as directory:
            sqlite = run(f"sqlite:///{directory}/dispatch.db", count, registry.port)
        print(f"SQLite:     {sqlite:.2f} ms CPU per petition ({count} petitions)")
        name, url = create_database("bench_dispatch")
        try:
            postgres = run(url, count, registry.port)
        finally:
            drop_database(name)
        print(f"PostgreSQL: {postgres:.2f} ms CPU per petition ({count} petitions)")
    finally:
        registry.stop(0).wait(5)


if __name__ == "__main__":
    main()
