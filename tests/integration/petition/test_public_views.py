"""Issue 18, hole 3: the public Open311 views publish what a city means to publish.

The probe: a resident files "…call me on 212 555 0101" at their door through the resident API;
an unauthenticated `GET /open311/v2/requests/{id}.json` returned the text and the exact point,
and `requests.json?page_size=1000` listed a thousand such petitions. Now a petition is private
unless its reporter (or staff) makes it public, the point is coarsened, and published text has
phones, emails and ID numbers redacted; a deployment may publish everything (`full`) or nothing
(`minimal`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import grpc
import pytest
from flask.testing import FlaskClient

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.kit.auth import Role
from gridplus.petition.api.http import create_app
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.domain.publication import PublishLevel
from tests.integration.petition.conftest import (
    CATEGORIES,
    JWT,
    OPEN311_KEY,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)

pytestmark = pytest.mark.integration

V2 = "/open311/v2"
HOME = {"lat": 40.712776, "lon": -74.005974}  # a front door in Lower Manhattan
COARSE = (40.713, -74.006)
PRIVATE_TEXT = "Noise from 4B every night, call me on 212 555 0101 or jo@example.org"


def app_with(store: Store, level: PublishLevel | None = None) -> FlaskClient:
    settings = Open311Settings(api_keys=frozenset({OPEN311_KEY}))
    if level is not None:
        settings = Open311Settings(api_keys=settings.api_keys, publish=level)
    app = create_app(
        sessions=store.sessions,
        deps=store.deps,
        jwt=JWT,
        categories=CATEGORIES,
        open311_settings=settings,
    )
    return app.test_client()


def file_as_resident(client: FlaskClient, *, make_public: bool | None = None) -> str:
    body: dict[str, Any] = {
        "title": "Noise at night",
        "description": PRIVATE_TEXT,
        "category": "nyc.noise_residential",
        **HOME,
        "contact": {"name": "Jo Doe", "phone": "2125550101"},
    }
    if make_public is not None:
        body["make_public"] = make_public
    response = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def public_row(client: FlaskClient, petition_id: str, fmt: str = "json") -> dict[str, Any]:
    """GET requests/{id} without any credentials, as the probe did."""
    response = client.get(f"{V2}/requests/{petition_id}.{fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "json":
        [row] = response.get_json()
        return dict(row)
    [node] = ET.fromstring(response.get_data()).findall("request")
    return {child.tag: child.text or "" for child in node}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_probe_a_residents_petition_shows_no_text_and_only_a_coarse_point(
    store: Store, fmt: str
) -> None:
    client = app_with(store)  # the default publishing level
    petition_id = file_as_resident(client)

    row = public_row(client, petition_id, fmt)

    assert (row["service_code"], row["status"]) == ("nyc.noise_residential", "open")
    assert row["requested_datetime"] == "2026-11-27T09:00:00Z"
    assert (row["description"], row["media_url"], row["address"]) == ("", "", "")
    assert (float(row["lat"]), float(row["long"])) == COARSE
    raw = without_ids(client.get(f"{V2}/requests/{petition_id}.{fmt}").get_data(as_text=True))
    assert "555" not in raw and "0101" not in raw and "4B" not in raw and "jo@" not in raw
    assert "40.712776" not in raw and "-74.005974" not in raw
    # The resident API still gives another resident nothing at all.
    other = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-b"))
    assert other.status_code == 404


def without_ids(body: str) -> str:
    """The answer without the petitions' ids (random hex may hold "555" or "0101")."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", body)


def test_the_probe_a_page_of_a_thousand_lists_nothing_private(store: Store) -> None:
    client = app_with(store)
    filed = {file_as_resident(client) for _ in range(3)}

    listed = client.get(f"{V2}/requests.json?page_size=1000").get_json()

    assert {row["service_request_id"] for row in listed} == filed
    assert all(row["description"] == "" and row["media_url"] == "" for row in listed)
    assert all((row["lat"], row["long"]) == COARSE for row in listed)
    xml = without_ids(client.get(f"{V2}/requests.xml?page_size=1000").get_data(as_text=True))
    assert "555" not in xml and "40.712776" not in xml


def test_a_reporter_who_opts_in_is_published_with_the_phone_and_email_redacted(
    store: Store,
) -> None:
    client = app_with(store)
    petition_id = file_as_resident(client, make_public=True)

    row = public_row(client, petition_id)

    assert row["description"] == "Noise from 4B every night, call me on [phone] or [email]"
    assert (row["lat"], row["long"]) == COARSE  # the exact place stays private
    mine = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert (mine["public"], mine["publication"]) == (True, "REPORTER")
    assert mine["description"] == PRIVATE_TEXT  # the reporter and staff read it whole


def test_open311_post_takes_the_choice_as_the_make_public_attribute(store: Store) -> None:
    client = app_with(store)
    form = {
        "api_key": OPEN311_KEY,
        "service_code": "nyc.noise_residential",
        "lat": str(HOME["lat"]),
        "long": str(HOME["lon"]),
        "description": "Dumped sofa, text 2125550101",
        "address_string": "1 Centre St",
    }
    private = client.post(f"{V2}/requests.json", data=form).get_json()[0]
    public = client.post(
        f"{V2}/requests.json", data={**form, "attribute[make_public]": "true"}
    ).get_json()[0]

    assert public_row(client, private["service_request_id"])["description"] == ""
    shown = public_row(client, public["service_request_id"])
    assert shown["description"] == "Dumped sofa, text [phone]"
    assert shown["address"] == ""  # the exact address only at the `full` level
    refused = client.post(f"{V2}/requests.json", data={**form, "attribute[make_public]": "yes"})
    assert refused.status_code == 400
    assert refused.get_json()[0]["description"].startswith("attribute[make_public]:")


def test_staff_approve_or_withhold_publication_over_grpc(store: Store, stub: Any) -> None:
    client = app_with(store)
    petition_id = file_as_resident(client)
    deliver(store, assigned(petition_id, store.clock.now().replace(hour=13)), petition_id)
    worker = as_caller("worker-7", Role.GRID_WORKER, grids=("G1-2",))

    approved = stub.SetPetitionPublication(
        S.SetPetitionPublicationRequest(request_id="pub-1", id=petition_id, publish=True),
        metadata=worker,
    ).petition
    assert approved.publication == S.PETITION_PUBLICATION_STAFF_APPROVED
    assert public_row(client, petition_id)["description"].endswith("[phone] or [email]")

    stub.SetPetitionPublication(
        S.SetPetitionPublicationRequest(
            request_id="pub-2", id=petition_id, publish=False, note="names a flat"
        ),
        metadata=worker,
    )
    assert public_row(client, petition_id)["description"] == ""
    history = stub.GetPetitionHistory(S.GetPetitionHistoryRequest(id=petition_id), metadata=worker)
    assert history.entries[-1].note == "withheld from publication: names a flat"


def test_staff_outside_the_petitions_scope_cannot_publish_it(store: Store, stub: Any) -> None:
    client = app_with(store)
    petition_id = file_as_resident(client)
    deliver(store, assigned(petition_id, store.clock.now().replace(hour=13)), petition_id)
    request = S.SetPetitionPublicationRequest(request_id="pub-x", id=petition_id, publish=True)

    with pytest.raises(grpc.RpcError) as elsewhere:
        stub.SetPetitionPublication(
            request, metadata=as_caller("worker-9", Role.GRID_WORKER, grids=("G9",))
        )
    with pytest.raises(grpc.RpcError) as inspector:
        stub.SetPetitionPublication(request, metadata=as_caller("insp-1", Role.INSPECTOR))

    assert elsewhere.value.code() == grpc.StatusCode.NOT_FOUND
    assert inspector.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert public_row(client, petition_id)["description"] == ""


def test_a_city_that_publishes_full_311_data_shows_every_petition_still_redacted(
    store: Store,
) -> None:
    client = app_with(store, PublishLevel.FULL)
    petition_id = file_as_resident(client)

    row = public_row(client, petition_id)

    assert row["description"] == "Noise from 4B every night, call me on [phone] or [email]"
    assert (row["lat"], row["long"]) == (HOME["lat"], HOME["lon"])


def test_the_minimal_level_publishes_no_text_even_when_the_reporter_opts_in(
    store: Store,
) -> None:
    client = app_with(store, PublishLevel.MINIMAL)
    petition_id = file_as_resident(client, make_public=True)

    assert public_row(client, petition_id)["description"] == ""


def test_staff_reasons_are_published_only_with_the_text(store: Store, stub: Any) -> None:
    client = app_with(store)
    private_id = file_as_resident(client)
    public_id = file_as_resident(client, make_public=True)
    admin = as_caller("admin-1", Role.ADMIN)
    reason = "private courtyard; owner reachable on 13812345678"
    for n, petition_id in enumerate((private_id, public_id)):
        stub.RejectPetition(
            S.RejectPetitionRequest(request_id=f"rej-{n}", id=petition_id, reason=reason),
            metadata=admin,
        )

    assert public_row(client, private_id)["status_notes"] == "rejected"
    assert (
        public_row(client, public_id)["status_notes"]
        == "private courtyard; owner reachable on [phone]"
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_extensions_true_names_the_grid_and_what_was_withheld(store: Store, fmt: str) -> None:
    client = app_with(store)
    petition_id = file_as_resident(client)
    deliver(store, assigned(petition_id, store.clock.now().replace(hour=13)), petition_id)

    plain = client.get(f"{V2}/requests/{petition_id}.{fmt}").get_data(as_text=True)
    response = client.get(f"{V2}/requests.{fmt}?extensions=true")

    assert "extended_attributes" not in plain  # the spec's fields only, unless asked
    if fmt == "json":
        [row] = response.get_json()
        extended = row["extended_attributes"]
    else:
        node = ET.fromstring(response.get_data()).find("request/extended_attributes")
        assert node is not None
        extended = {child.tag: child.text for child in node}
    assert extended == {
        "grid": "G1-2-3",
        "text_published": False if fmt == "json" else "false",
        "location_exact": False if fmt == "json" else "false",
    }
    refused = client.get(f"{V2}/requests.{fmt}?extensions=maybe")
    assert refused.status_code == 400
