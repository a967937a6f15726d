"""Issue 18, hole 5: text with control and bidi characters (U+0000, CR/LF in one-line fields,
U+202E, U+2066…) is refused at intake on every channel, naming the field, and nothing is stored.
Before, it was stored and republished through Open311, a way to spoof what staff read."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flask.testing import FlaskClient

from gridplus.api.common.v1 import common_pb2
from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.kit.auth import Role
from gridplus.petition.api.http import create_app
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.clients import FollowUpClient
from tests.integration.petition.conftest import (
    CATEGORIES,
    JWT,
    OPEN311_KEY,
    Store,
    as_caller,
    bearer,
)
from tests.integration.petition.test_grpc_api import field_violations

pytestmark = pytest.mark.integration

RLO = "\u202e"  # right-to-left override: "invoice\u202efdp.exe" reads as "invoiceexe.pdf"
GOOD = {"title": "Lamp out", "description": "at gate 3", "lat": 39.91, "lon": 116.39}
ADMIN = as_caller("admin-1", Role.ADMIN)


def problem_fields(response: Any) -> set[str]:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return {e["field"] for e in response.get_json()["errors"]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": f"Lamp{RLO}tuo"}, "title"),
        ({"title": "Lamp\nout"}, "title"),
        ({"description": "at gate\x00 3"}, "description"),
        ({"description": "at gate \u2066 3"}, "description"),
        ({"category": f"road{RLO}"}, "category"),
        ({"contact": {"name": f"Jo{RLO}"}}, "contact.name"),
        ({"contact": {"address": "Flat 4\r\nB"}}, "contact.address"),
    ],
)
def test_the_resident_json_api_refuses_and_stores_nothing(
    client: FlaskClient, store: Store, changes: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/api/v1/petitions", json={**GOOD, **changes}, headers=bearer("resident-a")
    )

    assert problem_fields(response) == {field}
    assert "U+" in response.get_json()["errors"][0]["detail"]
    assert store.petition_count() == 0


def test_the_resident_multipart_api_refuses_and_stores_nothing(
    client: FlaskClient, store: Store
) -> None:
    form = {**{k: str(v) for k, v in GOOD.items()}, "description": f"gate 3{RLO}"}
    form["photos"] = (io.BytesIO(b"not read"), "a.jpg")  # type: ignore[assignment]
    response = client.post(
        "/api/v1/petitions",
        data=form,
        headers=bearer("resident-a"),
        content_type="multipart/form-data",
    )

    assert problem_fields(response) == {"description"}
    assert store.petition_count() == 0


def test_a_description_keeps_its_line_breaks(client: FlaskClient) -> None:
    body = {**GOOD, "description": "line one\r\nline two"}
    created = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    shown = client.get(created.headers["Location"], headers=bearer("resident-a")).get_json()
    assert shown["description"] == "line one\nline two"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"description": f"Loud music{RLO}"}, "description"),
        ({"description": "Loud\x00music"}, "description"),
        ({"address_string": "1 Centre St\r\nApt 4"}, "address_string"),
        ({"attribute[location_detail]": "3rd floor\u2067"}, "attribute[location_detail]"),
        ({"first_name": f"John{RLO}"}, "first_name/last_name"),
        ({"account_id": "acct\x1b[31m"}, "account_id"),
    ],
)
def test_open311_post_refuses_and_stores_nothing(
    client: FlaskClient, store: Store, changes: dict[str, str], named: str
) -> None:
    form = {
        "api_key": OPEN311_KEY,
        "service_code": "nyc.noise_residential",
        "lat": "40.7128",
        "long": "-74.0060",
        "description": "Loud music",
        **changes,
    }
    response = client.post("/open311/v2/requests.json", data=form)

    assert response.status_code == 400, response.get_data(as_text=True)
    descriptions = [e["description"] for e in response.get_json()]
    assert [d.split(":")[0] for d in descriptions] == [named]
    assert store.petition_count() == 0


def submit_request(**changes: Any) -> S.SubmitPetitionRequest:
    request = S.SubmitPetitionRequest(
        request_id="r-1",
        title="Bins",
        description="not emptied",
        location=common_pb2.GeoPoint(lat=39.95, lon=116.3),
    )
    for name, value in changes.items():
        if name == "contact_name":
            request.contact.name = value
        else:
            setattr(request, name, value)
    return request


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": f"Bins{RLO}"}, "title"),
        ({"description": "not\x00emptied"}, "description"),
        ({"contact_name": "Jo\u2068"}, "contact.name"),
    ],
)
def test_grpc_submit_refuses_and_stores_nothing(
    stub: Any, store: Store, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(grpc.RpcError) as bad:
        stub.SubmitPetition(submit_request(**changes), metadata=ADMIN, timeout=5)

    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(bad.value)) == {field}
    assert store.petition_count() == 0


@pytest.mark.parametrize(
    ("rpc", "request_", "field"),
    [
        ("AddPetitionNote", S.AddPetitionNoteRequest(note=f"called{RLO}"), "note"),
        ("RejectPetition", S.RejectPetitionRequest(reason="out\x00side"), "reason"),
        ("SetPetitionPublication", S.SetPetitionPublicationRequest(note="ok\u2066"), "note"),
    ],
)
def test_grpc_staff_text_is_refused_and_the_history_is_unchanged(
    stub: Any, store: Store, rpc: str, request_: Any, field: str
) -> None:
    petition_id = stub.SubmitPetition(submit_request(), metadata=ADMIN, timeout=5).petition.id
    before = stub.GetPetitionHistory(S.GetPetitionHistoryRequest(id=petition_id), metadata=ADMIN)
    request_.request_id, request_.id = "m-1", petition_id

    with pytest.raises(grpc.RpcError) as bad:
        getattr(stub, rpc)(request_, metadata=ADMIN, timeout=5)

    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(bad.value)) == {field}
    after = stub.GetPetitionHistory(S.GetPetitionHistoryRequest(id=petition_id), metadata=ADMIN)
    assert after.entries == before.entries
    shown = stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=ADMIN).petition
    assert shown.status == S.PETITION_STATUS_SUBMITTED


@pytest.fixture
def rating_client(store: Store) -> Iterator[FlaskClient]:
    """With the rating route; evaluation is never dialled because intake refuses first."""
    channel = grpc.insecure_channel("127.0.0.1:9")
    try:
        app = create_app(
            sessions=store.sessions,
            deps=store.deps,
            jwt=JWT,
            categories=CATEGORIES,
            open311_settings=Open311Settings(),
            follow_ups=FollowUpClient(channel),
        )
        yield app.test_client()
    finally:
        channel.close()


def test_a_rating_comment_with_a_bidi_override_is_refused(rating_client: FlaskClient) -> None:
    response = rating_client.post(
        "/api/v1/petitions/p-1/rating",
        json={"rating": 5, "comment": f"great{RLO}"},
        headers=bearer("resident-a"),
    )
    assert problem_fields(response) == {"comment"}
