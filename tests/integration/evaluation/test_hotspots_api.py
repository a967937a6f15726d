"""Hot spots, rising categories and repeat locations through the real consumer: petition and
dispatch events go through the real broker to evaluation's live consumer; the gRPC API (real
server, real tokens) answers from what it kept. A chief of another grid gets none of this
grid's hot spots or points; a rebuild (event-by-event replay into an empty database) answers the
same; bad parameters are refused naming the field."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from kafka import KafkaProducer
from sqlalchemy import func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.evaluation.v1 import evaluation_pb2_grpc
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.api.grpc import POLICY, SERVICE_NAME, EvaluationServicer
from gridplus.evaluation.domain.assessment import AssessmentWeights
from gridplus.evaluation.domain.follow_up import FollowUpPolicy
from gridplus.evaluation.handlers import Assessments, FollowUps, TimeBank
from gridplus.evaluation.messaging.consumers import HANDLERS, TOPICS
from gridplus.evaluation.messaging.replay import replay
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.consumer import EventConsumer
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import encode_headers
from gridplus.kit.kafka import create_consumer, create_producer, ensure_topics
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import processed_events
from tests.integration.evaluation.conftest import JWT, MIGRATIONS, as_caller, stamp
from tests.support.broker import Broker
from tests.support.eventually import settled
from tests.support.grpc import serving
from tests.support.postgres import create_database, drop_database
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)  # a Wednesday: the current ISO week began 3 March
MONDAY = datetime(2025, 3, 3, tzinfo=UTC)
WEEK = timedelta(days=7)
S = petition_pb2.PetitionStatus
GRID_A = ["G-01", "G-01-01", "G-01-01-01"]
GRID_B = ["G-02", "G-02-01", "G-02-01-01"]
SPOT_A = (31.2304, 121.4737)  # one address in grid A
SPOT_B = (31.2500, 121.5000)  # one address in grid B, ~3 km away
METRE = 1 / 111_320  # degrees of latitude
Stub = evaluation_pb2_grpc.EvaluationServiceStub
Metadata = list[tuple[str, str]]


class Feed:
    """Publishes events the way petition and dispatch would."""

    def __init__(self, broker: Broker, petition_topic: str, dispatch_topic: str) -> None:
        self.sent = 0
        self._topics = {"petition": petition_topic, "dispatch": dispatch_topic}
        self._producer = KafkaProducer(bootstrap_servers=broker.bootstrap)

    def send(self, producer: str, payload: Message, key: str) -> None:
        headers = encode_headers(
            event_id=str(uuid.uuid4()),
            ce_type=payload.DESCRIPTOR.full_name,
            source=f"/gridplus/{producer}",
            time=NOW,
            traceparent=None,
        )
        self._producer.send(
            self._topics[producer],
            key=key.encode(),
            value=payload.SerializeToString(),
            headers=headers,
        )
        self.sent += 1

    def flush(self) -> None:
        self._producer.flush(10)

    def close(self) -> None:
        self._producer.close()

    def petition(
        self,
        pid: str,
        at: datetime,
        point: tuple[float, float],
        grid: list[str],
        *,
        category: str = "",
        assigned_category: str = "",
        department: str = "D-ROADS",
        closed: bool = False,
    ) -> None:
        self.send(
            "petition",
            events_pb2.PetitionSubmitted(
                petition_id=pid,
                reporter_id=f"r-{pid}",
                category=category,
                location=common_pb2.GeoPoint(lat=point[0], lon=point[1]),
                submitted_at=stamp(at),
            ),
            pid,
        )
        self.send(
            "dispatch",
            events_pb2.PetitionAssigned(
                petition_id=pid,
                grid=common_pb2.GridRef(code=grid[-1], level=3, path=grid),
                assignee_id="w-1",
                category=assigned_category or category,
                department_code=department,
                assigned_at=stamp(at + timedelta(minutes=5)),
                deadline=stamp(at + timedelta(hours=2)),
            ),
            pid,
        )
        if closed:
            self.status(pid, S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_CLOSED, at, category)

    def status(self, pid: str, old: int, new: int, at: datetime, category: str) -> None:
        self.send(
            "petition",
            events_pb2.PetitionStatusChanged(
                petition_id=pid,
                from_status=old,  # type: ignore[arg-type]
                to_status=new,  # type: ignore[arg-type]
                actor_id="w-1",
                changed_at=stamp(at + timedelta(hours=1)),
                category=category,
            ),
            pid,
        )


def away(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres * METRE, point[1]


def history(feed: Feed) -> None:
    """Eight flat past weeks and a rise of grid A's noise in the current one; grid B's potholes
    flat all along; repeats at one address in each grid, every other point hundreds of metres
    from any other."""
    for week in range(1, 9):
        start = MONDAY - week * WEEK
        for n in range(2):
            feed.petition(
                f"a-noise-{week}-{n}",
                start + timedelta(days=n),
                away(SPOT_A, -1000 * week - 300 * n),
                GRID_A,
                category="noise",
                closed=True,
            )
        for n in range(3):
            feed.petition(
                f"b-pothole-{week}-{n}",
                start + timedelta(days=n),
                away(SPOT_B, -1000 * week - 300 * n),
                GRID_B,
                category="pothole",
                department="D-WATER",
                closed=True,
            )
    # The current week: grid A's noise rises to 11, four of them (open) at one address; the
    # category of one arrives only with dispatch, of another corrected at verification.
    for n in range(11):
        at_spot = n < 4
        feed.petition(
            f"a-now-{n}",
            MONDAY + timedelta(hours=3 * n),
            away(SPOT_A, 3 * n) if at_spot else away(SPOT_A, 900 + 120 * n),
            GRID_A,
            category="" if n == 0 else ("litter" if n == 1 else "noise"),
            assigned_category="noise",
            closed=not at_spot,
        )
    feed.status("a-now-1", S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_VERIFIED, MONDAY, "noise")
    for n in range(3):
        feed.petition(
            f"b-now-{n}",
            MONDAY + timedelta(hours=n),
            away(SPOT_B, 5 * n),
            GRID_B,
            category="pothole",
            department="D-WATER",
        )
    # An old closed petition at grid A's address is no longer recent; an old open one is.
    feed.petition("a-old-closed", MONDAY - 10 * WEEK, SPOT_A, GRID_A, category="noise", closed=True)
    feed.petition("a-old-open", MONDAY - 10 * WEEK, away(SPOT_A, 2), GRID_A, category="noise")
    # A duplicate merged away is its survivor's, not a repeat of its own.
    feed.petition("a-dup", MONDAY, away(SPOT_A, 1), GRID_A, category="noise")
    feed.send(
        "petition", events_pb2.PetitionMerged(petition_id="a-dup", survivor_id="a-now-2"), "a-dup"
    )


def kafka_settings(broker: Broker) -> KafkaSettings:
    return KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)


def applied(sessions: SessionFactory) -> int:
    with transaction(sessions) as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(processed_events)
                .where(processed_events.c.consumer == "evaluation")
            ).scalar_one()
        )


@contextmanager
def api_on(sessions: SessionFactory, clock: ManualClock) -> Iterator[Stub]:
    outbox = Outbox("unused.evaluation", "/gridplus/evaluation", clock)
    servicer = EvaluationServicer(
        sessions,
        clock,
        follow_ups=FollowUps(outbox, clock, FollowUpPolicy(satisfied_min_rating=4, days=7)),
        assessments=Assessments(outbox, clock, AssessmentWeights()),
        time_bank=TimeBank(clock, points_per_hour=10),
    )

    def register(server: grpc.Server) -> None:
        evaluation_pb2_grpc.add_EvaluationServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield Stub(channel)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_urls(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(live, rebuilt): two databases of one kind, for the module (the history is fed once)."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("hotspots")
        yield f"sqlite:///{folder}/live.db", f"sqlite:///{folder}/rebuilt.db"
        return
    live_name, live_url = create_database("gridplus_hotspots")
    rebuilt_name, rebuilt_url = create_database("gridplus_hotspots_rebuild")
    yield live_url, rebuilt_url
    drop_database(live_name)
    drop_database(rebuilt_name)


@pytest.fixture(scope="module")
def apis(broker: Broker, database_urls: tuple[str, str]) -> Iterator[tuple[Stub, Stub]]:
    """(live, rebuilt): the live consumer's API after the history went through the broker,
    and the API over an empty database the topics were then replayed into."""
    settings = kafka_settings(broker)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    # The live service's topics: petition, dispatch and grid-registry's (households).
    topics = [f"{prefix}.petition", f"{prefix}.dispatch", f"{prefix}.grid"]
    assert len(topics) == len(TOPICS)
    ensure_topics(settings, topics)
    clock = ManualClock(NOW)
    feed = Feed(broker, *topics[:2])
    live_url, rebuilt_url = database_urls
    with (
        migrated_store(live_url, MIGRATIONS) as live,
        migrated_store(rebuilt_url, MIGRATIONS) as rebuilt,
    ):
        group = f"evaluation-{uuid.uuid4().hex[:6]}"
        consumer = EventConsumer(
            name="evaluation",
            topics=topics,
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
            history(feed)
            feed.flush()
            settled(
                lambda: applied(live.sessions),
                until=lambda n: n >= feed.sent,
                what=f"{feed.sent} events applied",
                timeout=90,
            )
        finally:
            stop.set()
            thread.join(15)
            feed.close()
        reader = create_consumer(settings, f"rebuild-{uuid.uuid4().hex[:6]}", "rebuild-test")
        try:
            replay(
                reader, rebuilt.sessions, topics, HANDLERS, consumer_name="evaluation", clock=clock
            )
        finally:
            reader.close(autocommit=False)
        with api_on(live.sessions, clock) as live_api, api_on(rebuilt.sessions, clock) as again:
            yield live_api, again


ADMIN = as_caller("admin-1", Role.ADMIN)
CHIEF_A = as_caller("chief-a", Role.GRID_CHIEF, ("G-01",))
CHIEF_B = as_caller("chief-b", Role.GRID_CHIEF, ("G-02-01",))
WATER = as_caller("water-1", Role.DEPARTMENT_STAFF, department="D-WATER")
RESIDENT = as_caller("r-1", Role.RESIDENT)
THIS_WEEK = pb.PeriodSelector(kind=pb.PERIOD_KIND_WEEK, anchor_time=stamp(NOW))


def spots(
    api: Stub, caller: Metadata, level: int = 3, **extra: object
) -> dict[tuple[str, str], pb.HotSpot]:
    answer = api.ListHotSpots(
        pb.ListHotSpotsRequest(period=THIS_WEEK, grid_level=level, **extra), metadata=caller
    )
    return {(s.grid_code, s.category): s for s in answer.hot_spots}


def repeats(api: Stub, caller: Metadata, **extra: object) -> list[pb.RepeatLocation]:
    request = pb.ListRepeatLocationsRequest(radius_m=30, **extra)
    return list(api.ListRepeatLocations(request, metadata=caller).locations)


def test_events_in_hot_spots_rising_categories_and_repeat_locations_out(
    apis: tuple[Stub, Stub],
) -> None:
    api, _ = apis
    found = spots(api, ADMIN)
    noise = found[("G-01-01-01", "noise")]
    # 11 this week (the late and the corrected categories counted as noise), 2 a week before.
    assert list(noise.counts) == [2] * 8 + [11]
    assert (noise.count, noise.previous_count, noise.baseline_mean) == (11, 2, 2.0)
    assert noise.rising and noise.direction == pb.TREND_DIRECTION_UP and noise.p_value < 0.01
    potholes = found[("G-02-01-01", "pothole")]
    assert list(potholes.counts) == [3] * 8 + [3] and not potholes.rising
    assert set(found) == {("G-01-01-01", "noise"), ("G-02-01-01", "pothole")}
    # Per level-1 grid the same petitions; the rising list holds only grid A's noise.
    assert set(spots(api, ADMIN, level=1)) == {("G-01", "noise"), ("G-02", "pothole")}
    rising = api.ListRisingCategories(
        pb.ListRisingCategoriesRequest(period=THIS_WEEK, grid_level=2), metadata=ADMIN
    )
    assert [(s.grid_code, s.category) for s in rising.hot_spots] == [("G-01-01", "noise")]
    assert "previous 8 periods" in rising.rule and "p < 0.01" in rising.rule
    assert rising.start_time.ToDatetime(tzinfo=UTC) == MONDAY

    locations = repeats(api, ADMIN)
    assert [(loc.size, list(loc.grid_codes)) for loc in locations] == [
        (5, ["G-01-01-01"]),
        (3, ["G-02-01-01"]),
    ]
    at_a = locations[0]
    # The four open ones of this week and the old one still open; not the old closed one,
    # not the duplicate merged away.
    assert sorted(at_a.petition_ids) == ["a-now-0", "a-now-1", "a-now-2", "a-now-3", "a-old-open"]
    assert at_a.open_count == 5 and at_a.radius_m < 30
    assert [(c.category, c.count) for c in at_a.categories] == [("noise", 5)]
    assert abs(at_a.latitude - SPOT_A[0]) < 20 * METRE
    # A wider look-back takes the closed one in too.
    wide = repeats(api, ADMIN, recent_days=120)
    assert "a-old-closed" in wide[0].petition_ids


def test_a_chief_of_another_grid_gets_none_of_this_grids_hot_spots_or_points(
    apis: tuple[Stub, Stub],
) -> None:
    api, _ = apis
    assert set(spots(api, CHIEF_A)) == {("G-01-01-01", "noise")}
    assert set(spots(api, CHIEF_B)) == {("G-02-01-01", "pothole")}
    # Not even when asking for grid A by name, nor at a level above its own grid.
    assert spots(api, CHIEF_B, grid_code="G-01") == {}
    assert set(spots(api, CHIEF_B, level=1)) == {("G-02", "pothole")}
    rising = api.ListRisingCategories(
        pb.ListRisingCategoriesRequest(period=THIS_WEEK, grid_level=3), metadata=CHIEF_B
    )
    assert list(rising.hot_spots) == []
    seen_by_b = repeats(api, CHIEF_B)
    assert [sorted(loc.petition_ids) for loc in seen_by_b] == [["b-now-0", "b-now-1", "b-now-2"]]
    assert repeats(api, CHIEF_B, grid_code="G-01") == []
    # A department sees its own petitions only; a resident none at all.
    assert set(spots(api, WATER)) == {("G-02-01-01", "pothole")}
    assert [list(loc.grid_codes) for loc in repeats(api, WATER)] == [["G-02-01-01"]]
    for call, request in (
        (api.ListHotSpots, pb.ListHotSpotsRequest(period=THIS_WEEK, grid_level=3)),
        (api.ListRepeatLocations, pb.ListRepeatLocationsRequest()),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            call(request, metadata=RESIDENT)
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED


def refused_field(call: object, request: Message) -> str:
    with pytest.raises(grpc.RpcError) as refused:
        call(request, metadata=ADMIN)  # type: ignore[operator]
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    return ",".join(v.field for v in bad.field_violations)


def test_bad_parameters_are_refused_naming_the_field(apis: tuple[Stub, Stub]) -> None:
    api, _ = apis
    hot = api.ListHotSpots
    assert (
        refused_field(hot, pb.ListHotSpotsRequest(period=THIS_WEEK, grid_level=4)) == "grid_level"
    )
    assert refused_field(hot, pb.ListHotSpotsRequest(grid_level=3)) == "period.kind"
    assert (
        refused_field(hot, pb.ListHotSpotsRequest(period=THIS_WEEK, grid_level=3, alpha=0.9))
        == "alpha"
    )
    assert (
        refused_field(
            hot, pb.ListHotSpotsRequest(period=THIS_WEEK, grid_level=3, baseline_periods=60)
        )
        == "baseline_periods"
    )
    where = api.ListRepeatLocations
    assert refused_field(where, pb.ListRepeatLocationsRequest(radius_m=5000)) == "radius_m"
    assert refused_field(where, pb.ListRepeatLocationsRequest(min_points=1)) == "min_points"
    assert refused_field(where, pb.ListRepeatLocationsRequest(recent_days=999)) == "recent_days"
    assert refused_field(where, pb.ListRepeatLocationsRequest(grid_code="G\u202e1")) == "grid_code"


def test_a_rebuild_answers_exactly_as_the_live_consumer(apis: tuple[Stub, Stub]) -> None:
    live, rebuilt = apis
    for caller in (ADMIN, CHIEF_A, CHIEF_B, WATER):
        for level in (1, 2, 3):
            request = pb.ListHotSpotsRequest(period=THIS_WEEK, grid_level=level)
            assert live.ListHotSpots(request, metadata=caller) == rebuilt.ListHotSpots(
                request, metadata=caller
            )
        request = pb.ListRepeatLocationsRequest(radius_m=30, recent_days=120)
        assert live.ListRepeatLocations(request, metadata=caller) == rebuilt.ListRepeatLocations(
            request, metadata=caller
        )
