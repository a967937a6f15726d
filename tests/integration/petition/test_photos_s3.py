"""Photos in an S3-compatible bucket (moto's real S3 server on loopback), shared by every
replica: a photo uploaded through replica A is served by replica B after A is gone; an object
missing from the bucket is a 404; a bucket that cannot be reached is a 503 (UNAVAILABLE over
gRPC) and the petition is not stored half: no row, no event, no used Idempotency-Key."""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import boto3
import grpc
import pytest
import requests
from moto.server import ThreadedMotoServer
from PIL import Image
from sqlalchemy import func, select, text

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import create_database_engine, create_session_factory, transaction
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from gridplus.petition.api.http import create_app
from gridplus.petition.api.http_server import http_loop
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.storage.blobs import BlobStore, S3BlobStore, S3Location
from gridplus.petition.storage.models import PetitionRow
from tests.integration.petition.conftest import (
    JWT,
    KEYS,
    MIGRATIONS,
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)
from tests.support.grpc import serving
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.integration

REGION = "us-east-1"


class S3Server:
    """moto's S3 server on a loopback port that can be stopped and started again (same port,
    same objects: moto keeps them in this process)."""

    def __init__(self) -> None:
        # moto keeps its buckets per process, across servers: a bucket of this test's own.
        self.bucket = f"gridplus-photos-{uuid.uuid4().hex[:12]}"
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        wait_for_port(self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION)

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    # boto3 reads the standard variables, as in a pod whose Secret sets them.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "gridplus-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "gridplus-test-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = S3Server()
    server.start()
    server.client().create_bucket(Bucket=server.bucket)
    yield server
    server.stop()


def location(s3: S3Server) -> S3Location:
    return S3Location(
        bucket=s3.bucket,
        endpoint_url=s3.endpoint,
        region=REGION,
        addressing_style="path",
        timeout_seconds=2.0,
        max_attempts=1,
    )


@dataclass
class Replica:
    """One petition process: its own engine, blob store client and HTTP server."""

    url: str
    deps: Deps
    sessions: Any

    def post_photo(self, photo: bytes, key: str | None = None) -> requests.Response:
        headers = bearer("resident-a")
        if key:
            headers["Idempotency-Key"] = key
        return requests.post(
            f"{self.url}/api/v1/petitions",
            data={"title": "乱堆垃圾", "lat": "39.9", "lon": "116.4"},
            files=[("photos", ("IMG_0001.png", photo, "image/png"))],
            headers=headers,
            timeout=30,
        )

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=bearer("resident-a"), timeout=30)

    def counts(self) -> tuple[int, int]:
        """(petitions, outbox messages) in the shared database."""
        with transaction(self.sessions) as session:
            petitions = session.execute(select(func.count()).select_from(PetitionRow))
            events = session.execute(select(func.count()).select_from(outbox_messages))
            return int(petitions.scalar_one()), int(events.scalar_one())


@contextmanager
def replica(database_url: str, s3: S3Server, blobs: BlobStore | None = None) -> Iterator[Replica]:
    engine = create_database_engine(database_url)
    migrate(engine, MIGRATIONS)
    clock = ManualClock(T0)
    outbox = Outbox(topic=events_topic("petition"), source="/gridplus/petition", clock=clock)
    blobs = blobs or S3BlobStore(location(s3))
    deps = Deps(outbox=outbox, clock=clock, keys=KEYS, blobs=blobs)
    sessions = create_session_factory(engine)
    web = create_app(sessions=sessions, deps=deps, jwt=JWT)
    port, stop = free_port(), threading.Event()
    loop = threading.Thread(
        target=http_loop(web, port=port, host="127.0.0.1", grace_seconds=5), args=(stop,)
    )
    loop.start()
    try:
        wait_for_port(port)
        yield Replica(f"http://127.0.0.1:{port}", deps, sessions)
    finally:
        stop.set()
        loop.join(10)
        engine.dispose()


def png(colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, "PNG")
    return out.getvalue()


def test_a_photo_uploaded_through_replica_a_is_served_by_replica_b_after_a_is_gone(
    database_url: str, s3: S3Server
) -> None:
    with replica(database_url, s3) as a:
        created = a.post_photo(png())
        assert created.status_code == 201, created.text
        shown = a.get(created.headers["Location"]).json()
        photo_url = shown["photos"][0]["url"]
        from_a = a.get(photo_url).content
    # Replica A is stopped (its server, engine and S3 client gone); B never saw the upload.
    with replica(database_url, s3) as b:
        served = b.get(photo_url)
        assert served.status_code == 200, served.text
        assert served.headers["Content-Type"] == "image/png"
        assert served.content == from_a
        digest = hashlib.sha256(served.content).hexdigest()
        assert served.headers["ETag"] == f'"{digest}"'
    # Content-addressed keys, as the local store lays out its files.
    assert s3.keys() == [f"photos/{digest[:2]}/{digest[2:4]}/{digest}"]
    assert s3.client().get_object(Bucket=s3.bucket, Key=s3.keys()[0])["Body"].read() == from_a


def test_the_same_photo_twice_is_one_object(database_url: str, s3: S3Server) -> None:
    with replica(database_url, s3) as a, replica(database_url, s3) as b:
        assert a.post_photo(png()).status_code == 201
        assert b.post_photo(png()).status_code == 201
        assert a.counts()[0] == 2
    assert len(s3.keys()) == 1


def test_an_object_missing_from_the_bucket_is_a_404(database_url: str, s3: S3Server) -> None:
    with replica(database_url, s3) as a:
        created = a.post_photo(png())
        assert created.status_code == 201, created.text
        photo_url = a.get(created.headers["Location"]).json()["photos"][0]["url"]
        [key] = s3.keys()
        s3.client().delete_object(Bucket=s3.bucket, Key=key)

        gone = a.get(photo_url)

    assert gone.status_code == 404
    assert gone.headers["Content-Type"].startswith("application/problem+json")
    assert "is gone" in gone.json()["detail"]


def test_a_bucket_out_of_reach_is_a_503_and_stores_nothing(database_url: str, s3: S3Server) -> None:
    key = str(uuid.uuid4())
    with replica(database_url, s3) as a:
        stored = a.post_photo(png((1, 2, 3)))
        assert stored.status_code == 201, stored.text
        photo_url = a.get(stored.headers["Location"]).json()["photos"][0]["url"]
        before = a.counts()
        s3.stop()

        refused = a.post_photo(png(), key=key)
        read = a.get(photo_url)

        assert refused.status_code == 503, refused.text
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert "photo store" in refused.json()["detail"]
        assert a.counts() == before  # no petition, no event
        assert read.status_code == 503, read.text

        # The store is back: the same Idempotency-Key now submits (it was not used up).
        s3.start()
        retried = a.post_photo(png(), key=key)
        assert retried.status_code == 201, retried.text
        assert a.counts()[0] == before[0] + 1
        assert a.get(photo_url).status_code == 200
    assert len(s3.keys()) == 2


def test_grpc_photo_reads_say_unavailable_while_the_bucket_is_out_of_reach(
    database_url: str, s3: S3Server
) -> None:
    with replica(database_url, s3) as a:
        created = a.post_photo(png())
        assert created.status_code == 201, created.text
        petition_id = created.json()["id"]
        servicer = PetitionServicer(a.sessions, a.deps, wake=lambda: None)

        def register(server: grpc.Server) -> None:
            petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server)

        with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
            stub = petition_pb2_grpc.PetitionServiceStub(channel)
            request = S.GetPetitionPhotoRequest(id=petition_id, seq=1)
            admin = as_caller("admin-1", Role.ADMIN)
            assert stub.GetPetitionPhoto(request, metadata=admin).content
            s3.stop()
            with pytest.raises(grpc.RpcError) as down:
                stub.GetPetitionPhoto(request, metadata=admin)
    assert down.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "photo store" in (down.value.details() or "")


class WatchingStore(BlobStore):
    """The real S3 store, noting at every PUT how many transactions the petition service holds
    open on its PostgreSQL database (a connection `idle in transaction` waits for the store)."""

    def __init__(self, inner: BlobStore, database_url: str) -> None:
        self._inner = inner
        self._engine = create_database_engine(database_url)
        self.open_transactions: list[int] = []

    def put(self, digest: str, data: bytes) -> None:
        with self._engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                )
            ).scalar_one()
        self.open_transactions.append(int(waiting))
        self._inner.put(digest, data)

    def get(self, digest: str) -> bytes:
        return self._inner.get(digest)

    def exists(self, digest: str) -> bool:
        return self._inner.exists(digest)


def test_photos_go_to_the_bucket_before_any_transaction_or_row_lock_is_taken(
    database_url: str, s3: S3Server
) -> None:
    """A slow bucket must not hold a database transaction (or the petition's row lock, which
    every event about the petition waits for): intake and ResolvePetition upload first."""
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_stat_activity shows the open transactions; SQLite has no such view")
    watching = WatchingStore(S3BlobStore(location(s3)), database_url)
    with replica(database_url, s3, blobs=watching) as a:
        created = a.post_photo(png())
        assert created.status_code == 201, created.text
        petition_id = created.json()["id"]
        store = Store(a.sessions, a.deps.outbox, ManualClock(T0), [], a.deps)
        deliver(store, assigned(petition_id, T0 + timedelta(hours=4)), petition_id)
        servicer = PetitionServicer(a.sessions, a.deps, wake=lambda: None)

        def register(server: grpc.Server) -> None:
            petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server)

        admin = as_caller("admin-1", Role.ADMIN)
        with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
            stub = petition_pb2_grpc.PetitionServiceStub(channel)
            stub.VerifyPetition(
                S.VerifyPetitionRequest(request_id="v", id=petition_id), metadata=admin
            )
            resolved = stub.ResolvePetition(
                S.ResolvePetitionRequest(
                    request_id="r", id=petition_id, note="cleared", photos=[png((0, 200, 0))]
                ),
                metadata=admin,
            ).petition
            outsider = as_caller("w", Role.GRID_WORKER, grids=("G9",))
            with pytest.raises(grpc.RpcError) as refused:
                stub.ResolvePetition(
                    S.ResolvePetitionRequest(
                        request_id="r2", id=petition_id, note="x", photos=[png((9, 9, 9))]
                    ),
                    metadata=outsider,
                )
    assert [(p.seq, p.stage) for p in resolved.photos] == [(1, "REPORT"), (2, "RESOLUTION")]
    assert watching.open_transactions == [0, 0]  # the report's photo, the resolution's
    # Someone who may not change the petition puts nothing in the bucket.
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(s3.keys()) == 2
    watching._engine.dispose()


def test_the_store_names_what_keeps_its_bucket_from_use(s3: S3Server) -> None:
    """For the warning at start: None while the bucket serves, else what is wrong."""
    assert S3BlobStore(location(s3)).problem() is None
    missing = S3BlobStore(replace(location(s3), bucket="no-such-bucket-here"))
    assert "'no-such-bucket-here'" in (missing.problem() or "")
    s3.stop()
    assert "unreachable" in (S3BlobStore(location(s3)).problem() or "")
