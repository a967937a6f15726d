"""Issue 18, holes 3 and 5, reproduced against the running platform as the outside probe did.

3. Open311 published private petitions: an unauthenticated GET of a petition filed through the
   resident API returned its free text ("…call me on 212 555 0101") and its exact point, and a
   page of a thousand listed them all. Now: no text unless the reporter (or staff) made it
   public, then with phones, emails and ID numbers redacted; the point coarsened to ~100 m.
   `GRIDPLUS_PETITION_OPEN311_PUBLISH=full` publishes every petition (still redacted).
5. Text was stored with control and bidi characters: now refused on HTTP, Open311 and gRPC,
   naming the field, and nothing changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import requests

from gridplus.api.common.v1 import common_pb2
from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.api.petition.v1 import petition_pb2_grpc
from gridplus.kit.auth import Role
from tests.e2e.client import channel, grpc_metadata, submit, wait_for_status
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

FRONT_DOOR = {"lat": 40.758123, "lon": -73.985456}  # an exact point in MN0502
COARSE = (40.758, -73.985)
PRIVATE_TEXT = "Music until 3am from 12F, call me on 212 555 0101"
RLO = "\u202e"
PUBLISH = "GRIDPLUS_PETITION_OPEN311_PUBLISH"


def public_get(stack: LocalStack, path: str) -> requests.Response:
    """Open311 GET without any credentials."""
    response = requests.get(f"{stack.http_url}/open311/v2/{path}", timeout=10)
    assert response.status_code == 200, response.text
    return response


def report(stack: LocalStack, **extra: Any) -> str:
    body = {"title": "Noise at night", "description": PRIVATE_TEXT, **FRONT_DOOR, **extra}
    return submit(stack, body)


def test_probe_a_residents_petition_is_published_without_text_and_with_a_coarse_point(
    stack: LocalStack,
) -> None:
    petition_id = report(stack)
    wait_for_status(stack, petition_id, "ASSIGNED")

    [row] = public_get(stack, f"requests/{petition_id}.json").json()
    xml = public_get(stack, f"requests/{petition_id}.xml").text

    assert (row["description"], row["media_url"], row["address"]) == ("", "", "")
    assert (row["lat"], row["long"]) == COARSE
    assert row["status"] == "open" and row["service_code"]
    assert row["agency_responsible"]  # the department, else the grid
    for leaked in ("555 0101", "12F", "40.758123", "-73.985456"):
        assert leaked not in xml


def test_probe_a_page_of_a_thousand_lists_nothing_private(stack: LocalStack) -> None:
    private_id = report(stack)

    rows = public_get(stack, "requests.json?page_size=1000").json()

    assert private_id in {row["service_request_id"] for row in rows}
    assert all(PRIVATE_TEXT not in row["description"] for row in rows)
    assert all("555 0101" not in row["description"] for row in rows)
    # Every point is on the ~100 m lattice: no front door is listed.
    assert all(round(row["lat"], 3) == row["lat"] for row in rows)
    assert all(round(row["long"], 3) == row["long"] for row in rows)


def test_an_opted_in_petition_is_published_with_the_phone_redacted(stack: LocalStack) -> None:
    petition_id = report(stack, make_public=True)

    [row] = public_get(stack, f"requests/{petition_id}.json").json()

    assert row["description"] == "Music until 3am from 12F, call me on [phone]"
    assert (row["lat"], row["long"]) == COARSE


def test_bidi_and_control_characters_are_refused_on_http_and_open311(stack: LocalStack) -> None:
    token = {"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"}
    resident = requests.post(
        f"{stack.http_url}/api/v1/petitions",
        json={"title": f"invoice{RLO}fdp.exe", "description": "x", **FRONT_DOOR},
        headers=token,
        timeout=10,
    )
    open311 = requests.post(
        f"{stack.http_url}/open311/v2/requests.json",
        data={
            "api_key": stack.credentials["open311_api_key"],
            "service_code": public_get(stack, "services.json").json()[0]["service_code"],
            "lat": str(FRONT_DOOR["lat"]),
            "long": str(FRONT_DOOR["lon"]),
            "description": "Loud\x00music\u2066",
        },
        timeout=10,
    )

    assert resident.status_code == 400, resident.text
    assert resident.headers["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in resident.json()["errors"]] == ["title"]
    assert open311.status_code == 400, open311.text
    assert open311.json()[0]["description"].startswith("description: must not contain U+0000")


def test_bidi_and_control_characters_are_refused_over_grpc_and_nothing_changes(
    stack: LocalStack,
) -> None:
    stub = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    admin = grpc_metadata(stack, Role.ADMIN)
    submit_request = S.SubmitPetitionRequest(
        request_id=f"probe-{time.time_ns()}",
        title=f"Bins{RLO}",
        description="not emptied",
        location=common_pb2.GeoPoint(**FRONT_DOOR),
    )
    with pytest.raises(grpc.RpcError) as refused:
        stub.SubmitPetition(submit_request, metadata=admin, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "title" in (refused.value.details() or "")

    petition_id = report(stack)
    note = S.AddPetitionNoteRequest(request_id="probe-note", id=petition_id, note=f"ok{RLO}")
    with pytest.raises(grpc.RpcError) as noted:
        stub.AddPetitionNote(note, metadata=admin, timeout=10)
    assert noted.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    history = stub.GetPetitionHistory(
        S.GetPetitionHistoryRequest(id=petition_id), metadata=admin, timeout=10
    ).entries
    assert not [e for e in history if e.actor_id == "admin-demo"]  # no note was stored


@pytest.fixture
def publishing_everything(stack: LocalStack) -> Iterator[LocalStack]:
    """The petition process restarted as a city that publishes full 311 data, then restored."""
    _restart_petition(stack, {PUBLISH: "full"})
    try:
        yield stack
    finally:
        _restart_petition(stack, {})


def test_a_city_publishing_full_311_data_shows_text_and_exact_points_redacted(
    publishing_everything: LocalStack,
) -> None:
    petition_id = report(publishing_everything)

    [row] = public_get(publishing_everything, f"requests/{petition_id}.json").json()

    assert row["description"] == "Music until 3am from 12F, call me on [phone]"
    assert (row["lat"], row["long"]) == (FRONT_DOOR["lat"], FRONT_DOOR["lon"])


def _restart_petition(stack: LocalStack, env: dict[str, str]) -> None:
    stack.stop_service("petition")
    stack.extra_env.pop(PUBLISH, None)
    stack.extra_env.update(env)
    stack.start_service("petition")
    stack.wait_ready(["petition"])
    deadline = time.monotonic() + 20
    while True:  # gRPC health answers first; wait for the HTTP door too
        try:
            if requests.get(f"{stack.http_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "petition's HTTP port did not come back"
        time.sleep(0.1)
