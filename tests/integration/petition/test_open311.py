"""Open311 GeoReport v2 conformance: every resource in .json and .xml, the spec's error format
and status codes, date windows, paging, and an unchanged client's form-encoded POST over real
HTTP (waitress + requests)."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from gridplus.petition.api.http import create_app
from gridplus.petition.api.http_server import http_loop
from gridplus.petition.api.open311 import Open311Settings
from tests.integration.petition.conftest import (
    CATEGORIES,
    JWT,
    OPEN311_KEY,
    T0,
    Store,
    as_caller,
    assigned,
    deliver,
)
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.integration

V2 = "/open311/v2"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
FORM = {
    "api_key": OPEN311_KEY,
    "service_code": "nyc.noise_residential",
    "lat": "40.7128",
    "long": "-74.0060",
    "description": "Loud music every night\nfrom the 3rd floor",
    "first_name": "John",
    "last_name": "Smith",
    "email": "john@example.org",
    "phone": "2125550123",
    "attribute[urgency]": "urgent",
    "media_url": "https://example.org/photo.jpg",
    "address_string": "1 Centre St",
}


def xml_rows(response: Any, root: str, item: str) -> list[dict[str, str]]:
    assert response.mimetype == "text/xml", response.get_data(as_text=True)
    tree = ET.fromstring(response.get_data())
    assert tree.tag == root
    return [{child.tag: child.text or "" for child in node} for node in tree.findall(item)]


def post(client: FlaskClient, fmt: str = "json", **changes: str) -> Any:
    form = {**FORM, **changes}
    return client.post(f"{V2}/requests.{fmt}", data={k: v for k, v in form.items() if v})


def errors(response: Any, status: int) -> list[str]:
    """The spec's error list, checked in the format the URL asked for."""
    assert response.status_code == status, response.get_data(as_text=True)
    if response.mimetype == "text/xml":
        rows = xml_rows(response, "errors", "error")
        assert all(row["code"] == str(status) for row in rows)
        return [row["description"] for row in rows]
    body = response.get_json()
    assert isinstance(body, list) and all(e["code"] == status for e in body)
    return [e["description"] for e in body]


def test_discovery_points_at_this_endpoint(client: FlaskClient) -> None:
    [endpoint] = client.get(f"{V2}/discovery.json").get_json()["endpoints"]
    assert endpoint["url"] == f"http://localhost{V2}"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    tree = ET.fromstring(client.get(f"{V2}/discovery.xml").get_data())
    assert (
        tree.findtext("endpoints/endpoint/specification") == "http://wiki.open311.org/GeoReport_v2"
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_and_service_definitions(client: FlaskClient, fmt: str) -> None:
    listed = client.get(f"{V2}/services.{fmt}?jurisdiction_id=gridplus")
    rows = listed.get_json() if fmt == "json" else xml_rows(listed, "services", "service")
    codes = [row["service_code"] for row in rows]
    assert codes == [c.code for c in CATEGORIES.categories()]
    noise = rows[codes.index("nyc.noise_residential")]
    assert noise["service_name"] == "Noise - Residential"
    assert noise["group"] == "NYC"
    assert noise["type"] == "realtime"
    assert str(noise["metadata"]).lower() == "true"
    assert set(noise) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }

    definition = client.get(f"{V2}/services/nyc.noise_residential.{fmt}")
    assert definition.status_code == 200
    if fmt == "json":
        body = definition.get_json()
        assert body["service_code"] == "nyc.noise_residential"
        urgency = body["attributes"][0]
        assert (urgency["code"], urgency["datatype"], urgency["order"]) == (
            "urgency",
            "singlevaluelist",
            1,
        )
        assert urgency["values"][1] == {"key": "urgent", "name": "Urgent: a danger to people"}
    else:
        tree = ET.fromstring(definition.get_data())
        assert tree.tag == "service_definition"
        assert tree.findtext("service_code") == "nyc.noise_residential"
        [first, second, third] = tree.find("attributes").findall("attribute")  # type: ignore[union-attr]
        assert first.findtext("code") == "urgency" and first.findtext("required") == "false"
        assert [v.findtext("key") for v in first.iter("value")] == ["normal", "urgent"]
        assert second.findtext("datatype") == "string"
        # The reporter's choice to publish their description (private unless they say yes).
        assert (third.findtext("code"), third.findtext("required")) == ("make_public", "false")
        assert [v.findtext("key") for v in third.iter("value")] == ["false", "true"]
    assert errors(client.get(f"{V2}/services/nope.{fmt}"), 404)
    assert errors(client.get(f"{V2}/services.{fmt}?jurisdiction_id=elsewhere"), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_then_get_request_and_token(client: FlaskClient, store: Store, fmt: str) -> None:
    created = post(client, fmt, **{"attribute[make_public]": "true"})

    assert created.status_code == 201
    [answer] = (
        created.get_json() if fmt == "json" else xml_rows(created, "service_requests", "request")
    )
    request_id = answer["service_request_id"]
    assert answer["token"] == request_id
    got = client.get(f"{V2}/requests/{request_id}.{fmt}")
    [row] = got.get_json() if fmt == "json" else xml_rows(got, "service_requests", "request")
    assert set(row) == REQUEST_FIELDS  # public fields only: no name, phone or email
    assert (row["status"], row["service_code"]) == ("open", "nyc.noise_residential")
    assert row["service_name"] == "Noise - Residential"
    # Published by the reporter's choice; the exact place only at the `full` publishing level.
    assert row["description"].startswith("Loud music")
    assert row["address"] == "" and row["media_url"] == FORM["media_url"]
    assert float(row["lat"]) == 40.713 and float(row["long"]) == -74.006
    assert row["requested_datetime"] == "2026-11-27T09:00:00Z"
    assert row["expected_datetime"] == "" and row["status_notes"] == "received"
    text = got.get_data(as_text=True)
    assert "Smith" not in text and "2125550123" not in text and "john@" not in text
    token = client.get(f"{V2}/tokens/{request_id}.{fmt}")
    [pair] = token.get_json() if fmt == "json" else xml_rows(token, "service_requests", "request")
    assert pair == {"service_request_id": request_id, "token": request_id}
    assert errors(client.get(f"{V2}/requests/nope.{fmt}"), 404)
    assert errors(client.get(f"{V2}/tokens/nope.{fmt}"), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_lifecycle_maps_onto_open_and_closed(
    client: FlaskClient, store: Store, stub, fmt: str
) -> None:
    # Published by the reporter, so staff's reason for rejecting it is shown too.
    request_id = post(client, **{"attribute[make_public]": "true"}).get_json()[0][
        "service_request_id"
    ]
    event = assigned(request_id, T0 + timedelta(hours=4))
    event.category = ""
    event.department_code = "DEP"
    deliver(store, event, request_id)

    got = client.get(f"{V2}/requests/{request_id}.{fmt}")
    [row] = got.get_json() if fmt == "json" else xml_rows(got, "service_requests", "request")
    assert (row["status"], row["agency_responsible"]) == ("open", "DEP")
    assert row["expected_datetime"] == "2026-11-27T13:00:00Z"
    assert row["status_notes"] == "assigned to a grid worker"

    from gridplus.api.petition.v1 import petition_pb2 as S
    from gridplus.kit.auth import Role

    stub.RejectPetition(
        S.RejectPetitionRequest(request_id="j", id=request_id, reason="private property"),
        metadata=as_caller("admin-1", Role.ADMIN),
    )
    got = client.get(f"{V2}/requests/{request_id}.{fmt}")
    [row] = got.get_json() if fmt == "json" else xml_rows(got, "service_requests", "request")
    assert (row["status"], row["status_notes"]) == ("closed", "private property")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_filter_by_id_code_status_and_dates_and_page(
    client: FlaskClient, store: Store, fmt: str
) -> None:
    ids = []
    for n in range(5):
        store.clock.advance(timedelta(days=1))
        code = "nyc.noise_residential" if n % 2 == 0 else "environmental_protection.01"
        ids.append(post(client, service_code=code).get_json()[0]["service_request_id"])

    def listed(query: str) -> list[str]:
        response = client.get(f"{V2}/requests.{fmt}?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        rows = (
            response.get_json()
            if fmt == "json"
            else xml_rows(response, "service_requests", "request")
        )
        return [row["service_request_id"] for row in rows]

    newest_first = list(reversed(ids))
    assert listed("") == newest_first
    assert listed(f"service_request_id={ids[0]},{ids[3]}") == [ids[3], ids[0]]
    assert listed("service_code=nyc.noise_residential") == [ids[4], ids[2], ids[0]]
    assert listed("service_code=nyc.noise_residential,environmental_protection.01") == newest_first
    assert listed("status=open") == newest_first and listed("status=closed") == []
    assert listed("start_date=2026-11-29T00:00:00Z&end_date=2026-11-30T12:00:00Z") == [
        ids[2],
        ids[1],
    ]
    assert listed("page_size=2") == newest_first[:2]
    assert listed("page_size=2&page=2") == newest_first[2:4]
    assert listed("page_size=2&page=3") == newest_first[4:]
    assert listed("page_size=2&page=4") == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_use_the_specs_format_and_status_codes(
    client: FlaskClient, store: Store, fmt: str
) -> None:
    assert "api_key" in errors(post(client, fmt, api_key="wrong"), 403)[0]
    assert errors(post(client, fmt, api_key=""), 403)
    missing = errors(post(client, fmt, service_code="", lat="", long="", address_string=""), 400)
    assert any(d.startswith("service_code") for d in missing)
    assert any(d.startswith("lat/long") for d in missing)
    assert errors(post(client, fmt, service_code="no.such"), 400)
    bad = errors(post(client, fmt, lat="91", email="not-mail", **{"attribute[urgency]": "x"}), 400)
    assert {d.split(":")[0] for d in bad} == {"lat", "email", "attribute[urgency]"}
    assert errors(post(client, fmt, **{"attribute[colour]": "red"}), 400)
    assert errors(
        client.get(
            f"{V2}/requests.{fmt}?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"
        ),
        400,
    )
    assert errors(client.get(f"{V2}/requests.{fmt}?start_date=yesterday"), 400)
    assert errors(client.get(f"{V2}/requests.{fmt}?status=pending"), 400)
    assert errors(client.get(f"{V2}/requests.{fmt}?page=0"), 400)
    assert errors(client.get(f"{V2}/requests.{fmt}?page_size=5000"), 400)
    assert errors(client.get(f"{V2}/nothing.{fmt}"), 404)
    assert store.petition_count() == 0


@pytest.fixture
def server(store: Store) -> Iterator[str]:
    web = create_app(
        sessions=store.sessions,
        deps=store.deps,
        jwt=JWT,
        categories=CATEGORIES,
        open311_settings=Open311Settings(api_keys=frozenset({OPEN311_KEY})),
    )
    port = free_port()
    stop = threading.Event()
    loop = threading.Thread(target=http_loop(web, port=port, host="127.0.0.1"), args=(stop,))
    loop.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}{V2}"
    stop.set()
    loop.join(10)


def test_an_unchanged_open311_client_posts_form_encoded_over_http(server: str) -> None:
    """What GeoReport client libraries send: a form-encoded POST, then GETs by id and list."""
    created = requests.post(f"{server}/requests.json", data=FORM, timeout=10)
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"].startswith("application/json")
    request_id = created.json()[0]["service_request_id"]

    one = requests.get(f"{server}/requests/{request_id}.json", timeout=10).json()
    assert one[0]["service_request_id"] == request_id
    listing = requests.get(
        f"{server}/requests.xml", params={"service_code": "nyc.noise_residential"}, timeout=10
    )
    assert listing.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert ET.fromstring(listing.content).find("request/service_request_id").text == request_id  # type: ignore[union-attr]
    services = requests.get(f"{server}/services.xml", timeout=10)
    assert (
        services.status_code == 200 and b"<service_code>nyc.noise_residential" in services.content
    )
    refused = requests.post(f"{server}/requests.xml", data={**FORM, "api_key": "x"}, timeout=10)
    assert refused.status_code == 403 and b"<errors><error><code>403</code>" in refused.content
