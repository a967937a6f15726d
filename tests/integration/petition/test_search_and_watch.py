"""Staff search (filters, sort, cursor paging, scope) and the watch stream that resumes from a
cursor without missing or repeating an entry."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import grpc
import pytest
from flask.testing import FlaskClient

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.petition.api.convert import timestamp
from gridplus.petition.api.grpc import POLICY, SERVICE_NAME, PetitionServicer
from gridplus.petition.metrics import PetitionsByStatus
from tests.integration.petition.conftest import (
    JWT,
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)
from tests.support.grpc import serving

pytestmark = pytest.mark.integration

ADMIN = as_caller("admin-1", Role.ADMIN)


def submit(client: FlaskClient, title: str, category: str | None = None) -> str:
    body: dict[str, Any] = {"title": title, "description": "", "lat": 39.9, "lon": 116.4}
    if category:
        body["category"] = category
    response = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    assert response.status_code == 201
    return str(response.get_json()["id"])


def route(store: Store, petition_id: str, *, hours: int, department: str, path: list[str]) -> None:
    event = assigned(petition_id, store.clock.now() + timedelta(hours=hours))
    event.assigned_at.CopyFrom(timestamp(store.clock.now()))
    # Dispatch's verify clock turns yellow with a quarter of the step left.
    event.yellow_at.CopyFrom(timestamp(store.clock.now() + timedelta(hours=hours) * 0.75))
    event.grid.code = path[-1]
    del event.grid.path[:]
    event.grid.path.extend(path)
    event.department_code = department
    event.category = ""  # the reporter's category stands
    deliver(store, event, petition_id)


def listed(stub, metadata, **filters: Any) -> list[str]:
    seen, token = [], ""
    while True:
        page = stub.ListPetitions(
            S.ListPetitionsRequest(page_size=2, page_token=token, **filters), metadata=metadata
        )
        seen += [p.title for p in page.petitions]
        token = page.next_page_token
        if not token:
            return seen


def test_search_filters_sorts_and_scopes(client: FlaskClient, store: Store, stub) -> None:
    ids = {}
    for title, category in [("a lamp", "light"), ("b manhole", "road"), ("c noisy bar", "noise")]:
        store.clock.advance(timedelta(minutes=10))
        ids[title] = submit(client, title, category)
    store.clock.advance(timedelta(minutes=10))
    ids["d Lamp again"] = submit(client, "d Lamp again", "light")
    route(store, ids["a lamp"], hours=1, department="lights", path=["G1", "G1-2", "G1-2-3"])
    route(store, ids["b manhole"], hours=8, department="roads", path=["G1", "G1-2", "G1-2-4"])
    route(store, ids["c noisy bar"], hours=4, department="police", path=["G2", "G2-1", "G2-1-1"])
    store.clock.advance(timedelta(minutes=50))  # a lamp: 10 of 60 minutes left -> yellow

    assert listed(stub, ADMIN) == ["d Lamp again", "c noisy bar", "b manhole", "a lamp"]
    assert listed(stub, ADMIN, sort=S.PETITION_SORT_OLDEST)[0] == "a lamp"
    assert listed(stub, ADMIN, sort=S.PETITION_SORT_DEADLINE) == [
        "a lamp",
        "c noisy bar",
        "b manhole",
    ]
    assert listed(stub, ADMIN, category="light") == ["d Lamp again", "a lamp"]
    assert listed(stub, ADMIN, text="LAMP") == ["d Lamp again", "a lamp"]
    assert listed(stub, ADMIN, department_code="roads") == ["b manhole"]
    assert listed(stub, ADMIN, grid_code="G1-2") == ["b manhole", "a lamp"]
    assert listed(stub, ADMIN, light=S.LIGHT_YELLOW) == ["a lamp"]
    assert listed(stub, ADMIN, light=S.LIGHT_GREEN) == ["c noisy bar", "b manhole"]
    store.clock.advance(timedelta(minutes=11))
    assert listed(stub, ADMIN, light=S.LIGHT_RED) == ["a lamp"]
    window = {
        "created_from": timestamp(T0 + timedelta(minutes=15)),
        "created_to": timestamp(T0 + timedelta(minutes=35)),
    }
    assert listed(stub, ADMIN, **window) == ["c noisy bar", "b manhole"]
    worker = as_caller("w-1", Role.GRID_WORKER, grids=("G2",))
    assert listed(stub, worker) == ["c noisy bar"]
    department = as_caller("d-1", Role.DEPARTMENT_STAFF, department="roads")
    assert listed(stub, department) == ["b manhole"]
    with pytest.raises(grpc.RpcError) as bad:
        stub.ListPetitions(S.ListPetitionsRequest(light=99), metadata=ADMIN)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def watch(stub, cursor: str, count: int, **filters: Any) -> list[S.WatchPetitionsResponse]:
    """Read `count` entries from a watch, then hang up (as a client that disconnects)."""
    call = stub.WatchPetitions(S.WatchPetitionsRequest(cursor=cursor, **filters), metadata=ADMIN)
    got = []
    timer = threading.Timer(10, call.cancel)  # a missing entry fails the test, never hangs it
    timer.start()
    try:
        for item in call:
            got.append(item)
            if len(got) == count:
                break
    finally:
        call.cancel()
        timer.cancel()
    assert len(got) == count
    return got


def test_a_watch_resumes_after_its_last_cursor_without_gaps_or_repeats(
    client: FlaskClient, store: Store, stub
) -> None:
    first = submit(client, "one")
    second = submit(client, "two")
    route(store, first, hours=4, department="roads", path=["G1", "G1-2", "G1-2-3"])

    seen = watch(stub, "", 2)
    assert [(w.petition.id, w.entry.to_status) for w in seen] == [
        (first, S.PETITION_STATUS_SUBMITTED),
        (second, S.PETITION_STATUS_SUBMITTED),
    ]
    # Changes made while the client is away, and after it comes back.
    stub.RejectPetition(
        S.RejectPetitionRequest(request_id="r", id=second, reason="private"), metadata=ADMIN
    )
    resumed = watch(stub, seen[-1].cursor, 2)
    assert [(w.petition.id, w.entry.to_status) for w in resumed] == [
        (first, S.PETITION_STATUS_ASSIGNED),
        (second, S.PETITION_STATUS_REJECTED),
    ]
    roads_only = watch(stub, "", 2, department_code="roads")
    assert {w.petition.id for w in roads_only} == {first}
    with pytest.raises(grpc.RpcError) as bad:
        watch(stub, "not-a-cursor", 1)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_watch_from_now_sees_only_new_entries(client: FlaskClient, store: Store, stub) -> None:
    submit(client, "old")
    call = stub.WatchPetitions(S.WatchPetitionsRequest(cursor="now"), metadata=ADMIN)
    timer = threading.Timer(10, call.cancel)
    timer.start()
    try:
        started = dict(call.initial_metadata())  # the watch is established from here on
        assert started["gridplus-watch-cursor"]
        new = submit(client, "new")
        item = next(iter(call))
    finally:
        call.cancel()
        timer.cancel()
    assert item.petition.id == new


def test_watches_beyond_the_limit_are_refused_so_unary_calls_keep_their_threads(
    store: Store,
) -> None:
    servicer = PetitionServicer(store.sessions, store.deps, max_watches=1)

    def register(server: grpc.Server) -> None:
        petition_pb2_grpc.add_PetitionServiceServicer_to_server(servicer, server)

    with serving(register, SERVICE_NAME, POLICY, jwt=JWT) as channel:
        stub = petition_pb2_grpc.PetitionServiceStub(channel)
        first = stub.WatchPetitions(S.WatchPetitionsRequest(cursor="now"), metadata=ADMIN)
        assert first.initial_metadata()  # established, holding the one slot
        second = stub.WatchPetitions(S.WatchPetitionsRequest(cursor="now"), metadata=ADMIN)
        with pytest.raises(grpc.RpcError) as refused:
            next(iter(second))
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        first.cancel()


def test_petitions_by_status_are_counted_for_prometheus(client: FlaskClient, store: Store) -> None:
    submit(client, "one")
    submit(client, "two")
    [family] = list(PetitionsByStatus(store.sessions).collect())
    assert [(s.labels, s.value) for s in family.samples] == [({"status": "SUBMITTED"}, 2)]
