"""Notification on a migrated database, behind a real in-process kit gRPC server, with its
channels' servers and its dependencies' gRPC contracts running on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role, ServiceToken, mint_token
from gridplus.kit.clock import ManualClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.egress import AllowList, EgressGuard
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.pii import KeyRing
from gridplus.notification.api.grpc import POLICY, SERVICE_NAME, NotificationServicer
from gridplus.notification.channels.base import ChannelAdapter
from gridplus.notification.channels.email import SmtpEmail, SmtpSettings
from gridplus.notification.channels.sms import HttpSmsGateway
from gridplus.notification.channels.webhook import SignedWebhook
from gridplus.notification.clients import GrpcDirectory
from gridplus.notification.domain.delivery import RetryPolicy
from gridplus.notification.domain.notices import Channel, NoticeKind
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.bulletins import Bulletins
from gridplus.notification.handlers.deliveries import Deliveries
from gridplus.notification.handlers.inbox import Inbox
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.handlers.subscriptions import Subscriptions
from gridplus.notification.jobs.delivery_worker import DeliveryWorker, WorkerSettings
from gridplus.notification.messaging.consumers import EVENT_TYPES
from gridplus.notification.ports import RecipientDirectory
from tests.conftest import JWT_SECRET
from tests.integration.notification.servers import (
    GRID_POLICY,
    GRID_SERVICE,
    PETITION_POLICY,
    PETITION_SERVICE,
    ContractGridRegistry,
    ContractPetition,
    Org,
    SmsGateway,
    SmtpSink,
)
from tests.support.grpc import serving, start_server
from tests.support.store import MigratedStore, migrated_store
from tests.unit.notification.fakes import FakeDirectory

# The personal-data key ring the service would read from GRIDPLUS_PII_KEY(S).
KEYS = KeyRing([("k1", bytes(range(32)))])

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/gridplus/notification/storage/alembic"
JWT = JwtSettings(JWT_SECRET, "gridplus")
# The loopback servers these tests start, on ports chosen per test: loopback allowed on any port
# (test_egress.py checks what a guard without that exception refuses).
LOOPBACK = EgressGuard(AllowList.parse("127.0.0.1"))
T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
SMS_TOKEN = "gateway-token"

Metadata = list[tuple[str, str]]
Store = MigratedStore
Stub = notification_pb2_grpc.NotificationServiceStub


def as_caller(
    subject: str, role: Role = Role.GRID_WORKER, grid_codes: tuple[str, ...] = ()
) -> Metadata:
    token = mint_token(JWT, subject=subject, role=role, grid_codes=grid_codes)
    return [("authorization", f"Bearer {token}")]


def member(
    person_id: str,
    grid: str,
    role: int,
    *,
    email: str = "",
    phone: str = "",
    language: str = "",
    department: str = "",
) -> grid_pb2.Member:
    return grid_pb2.Member(
        person_id=person_id,
        display_name=f"name of {person_id}",
        role=role,  # type: ignore[arg-type]
        grid_code=grid,
        email=email,
        phone=phone,
        language=language,
        department_code=department,
    )


def demo_org() -> Org:
    """G-01 > G-01-01 > G-01-01-01, and G-02 beside it; workers, chiefs, a department head."""
    return Org(
        parents={"G-01": "", "G-01-01": "G-01", "G-01-01-01": "G-01-01", "G-02": ""},
        members=[
            member("chief-1", "G-01", grid_pb2.MEMBER_ROLE_GRID_CHIEF, email="chief1@gov.example"),
            member(
                "chief-3",
                "G-01-01-01",
                grid_pb2.MEMBER_ROLE_GRID_CHIEF,
                email="chief3@gov.example",
                phone="13900000003",
                language="en",
            ),
            member(
                "worker-7",
                "G-01-01-01",
                grid_pb2.MEMBER_ROLE_GRID_WORKER,
                email="worker7@gov.example",
                phone="13900000007",
            ),
            member("worker-8", "G-01-01-01", grid_pb2.MEMBER_ROLE_GRID_WORKER),
            member(
                "roads-head",
                "G-01",
                grid_pb2.MEMBER_ROLE_DEPARTMENT_HEAD,
                email="roads@gov.example",
                department="roads",
            ),
            member("chief-2", "G-02", grid_pb2.MEMBER_ROLE_GRID_CHIEF, email="chief2@gov.example"),
        ],
        departments=[
            grid_pb2.Department(code="roads", name_zh="道路", head_person_id="roads-head")
        ],
        reporters={
            "p-1": [
                petition_pb2.ReporterContact(
                    reporter_id="res-1", email="resident1@mail.example", language="en"
                )
            ]
        },
    )


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with migrated_store(database_url, MIGRATIONS) as migrated:
        yield migrated


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def org() -> Org:
    return demo_org()


@pytest.fixture
def grid_registry(org: Org) -> ContractGridRegistry:
    return ContractGridRegistry(org)


@pytest.fixture
def contract_petition(org: Org) -> ContractPetition:
    return ContractPetition(org)


@pytest.fixture
def directory(
    grid_registry: ContractGridRegistry, contract_petition: ContractPetition
) -> Iterator[GrpcDirectory]:
    """The real gRPC adapter, with the service token, against servers of the proto contracts."""
    grid_servicer, petition_servicer = grid_registry, contract_petition
    grid_server = start_server(
        lambda s: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(grid_servicer, s),
        GRID_SERVICE,
        GRID_POLICY,
        jwt=JWT,
    )
    petition_server = start_server(
        lambda s: petition_pb2_grpc.add_PetitionServiceServicer_to_server(petition_servicer, s),
        PETITION_SERVICE,
        PETITION_POLICY,
        jwt=JWT,
    )
    token = ServiceToken(JWT, "notification")
    grid_channel = service_channel(f"127.0.0.1:{grid_server.port}", token)
    petition_channel = service_channel(f"127.0.0.1:{petition_server.port}", token)
    try:
        yield GrpcDirectory(grid_channel, petition_channel)
    finally:
        grid_channel.close()
        petition_channel.close()
        grid_server.stop(0).wait(5)
        petition_server.stop(0).wait(5)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway(SMS_TOKEN).start()
    yield gateway
    gateway.stop()  # type: ignore[no-untyped-call]


@pytest.fixture
def signals() -> tuple[Signal, Signal]:
    return Signal(), Signal()


@pytest.fixture
def notifier(
    directory: GrpcDirectory, clock: ManualClock, signals: tuple[Signal, Signal]
) -> Notifier:
    policy = ChannelPolicy(email=True, sms=True, sms_kinds=frozenset({NoticeKind.PETITION_OVERDUE}))
    return Notifier(
        directory,
        policy,
        clock,
        keys=KEYS,
        inbox_signal=signals[0],
        delivery_signal=signals[1],
    )


WorkerFactory = Callable[..., DeliveryWorker]


@pytest.fixture
def make_worker(
    store: Store, clock: ManualClock, smtp: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[WorkerFactory]:
    """A delivery worker on the injected clock; jitter fixed at the middle of its range."""
    made: list[DeliveryWorker] = []

    def make(
        keys: KeyRing = KEYS, egress: EgressGuard = LOOPBACK, **overrides: object
    ) -> DeliveryWorker:
        adapters: dict[Channel, ChannelAdapter] = {
            Channel.EMAIL: SmtpEmail(
                SmtpSettings(
                    "127.0.0.1", smtp.port, "Grid+ <noreply@gridplus.test>", timeout_seconds=5
                ),
                egress=egress,
            ),
            Channel.WEBHOOK: SignedWebhook(clock, timeout_seconds=2, egress=egress),
            Channel.SMS: HttpSmsGateway(
                f"http://127.0.0.1:{sms_gateway.port}/send", SMS_TOKEN, 2, egress=egress
            ),
        }
        fields: dict[str, object] = {
            "retry": RetryPolicy(max_attempts=4, base_seconds=10, max_seconds=600, jitter=0.5),
            "breaker_threshold": 100,
            "rate_per_second": {Channel.EMAIL: 100.0, Channel.WEBHOOK: 100.0, Channel.SMS: 100.0},
            "concurrency": 4,
        }
        # The worker's own arguments (one replica's backlog lease and gauge), the rest settings.
        extra = {k: overrides.pop(k) for k in ("backlog_lease", "backlog") if k in overrides}
        fields.update(overrides)
        worker = DeliveryWorker(
            store.sessions,
            adapters,
            clock,
            WorkerSettings(**fields),  # type: ignore[arg-type]
            keys=keys,
            jitter=lambda: 0.5,
            **extra,  # type: ignore[arg-type]
        )
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()


@pytest.fixture
def api(
    store: Store,
    clock: ManualClock,
    directory: GrpcDirectory,
    notifier: Notifier,
    signals: tuple[Signal, Signal],
) -> Iterator[Stub]:
    servicer = notification_servicer(
        store, clock, directory=directory, notifier=notifier, inbox_signal=signals[0]
    )

    def register(server: grpc.Server) -> None:
        notification_pb2_grpc.add_NotificationServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        yield notification_pb2_grpc.NotificationServiceStub(channel)


def notification_servicer(
    store: Store,
    clock: ManualClock,
    *,
    egress: EgressGuard = LOOPBACK,
    directory: RecipientDirectory | None = None,
    notifier: Notifier | None = None,
    inbox_signal: Signal | None = None,
) -> NotificationServicer:
    """The servicer as __main__ wires it, on this test's store and clock."""
    directory = directory or FakeDirectory()
    notifier = notifier or Notifier(directory, ChannelPolicy(), clock, keys=KEYS)
    return NotificationServicer(
        clock,
        inbox=Inbox(store.sessions, clock),
        subscriptions=Subscriptions(store.sessions, clock, egress=egress, event_types=EVENT_TYPES),
        deliveries=Deliveries(store.sessions),
        bulletins=Bulletins(store.sessions, directory, notifier, clock),
        inbox_signal=inbox_signal,
    )


@pytest.fixture
def inbox_api(api: Stub) -> Stub:
    return api


def later(clock: ManualClock, seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))
