"""A real Open311 GeoReport v2 client (the `georeport` package from PyPI, not our own code) reads
the running platform's services, a service definition and requests, in JSON and in XML, and
sees only what a city means to publish."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from tests.e2e.client import submit, wait_for_status
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

PRIVATE = "Rats in the yard of 12F, call me on 212 555 0199"
PUBLIC = "Broken bench in the park, reached me at ops@example.org"
POINT = {"lat": 40.758321, "lon": -73.985654}  # MN0502


def clients(stack: LocalStack) -> list[GeoReport]:
    root = f"{stack.http_url}/open311/v2"
    return [GeoReport(root), GeoReport(root, output_format="xml")]


def test_a_georeport_client_reads_services_and_a_definition(stack: LocalStack) -> None:
    json_client, xml_client = clients(stack)

    services = json_client.get_service_list()
    xml_services = xml_client.get_service_list()
    code = services[0]["service_code"]
    definition = json_client.get_service_definition(code)

    assert len(services) > 100 and {"service_code", "service_name", "metadata"} <= set(services[0])
    assert [s["service_code"] for s in xml_services] == [s["service_code"] for s in services]
    assert definition["service_code"] == code
    assert "make_public" in {a["code"] for a in definition["attributes"]}


def test_a_georeport_client_reads_requests_as_the_city_publishes_them(stack: LocalStack) -> None:
    json_client, xml_client = clients(stack)
    code = json_client.get_service_list()[0]["service_code"]
    private_id = submit(stack, {"title": "Rats", "description": PRIVATE, **POINT})
    posted = requests.post(
        f"{stack.http_url}/open311/v2/requests.json",
        data={
            "api_key": stack.credentials["open311_api_key"],
            "service_code": code,
            "lat": str(POINT["lat"]),
            "long": str(POINT["lon"]),
            "description": PUBLIC,
            "attribute[make_public]": "true",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    public_id = posted.json()[0]["service_request_id"]
    wait_for_status(stack, private_id, "ASSIGNED")

    private = json_client.get_service_request(private_id)
    public = json_client.get_service_request(public_id)
    listed = {r["service_request_id"]: r for r in json_client.get_service_requests()}
    xml_one = xml_client.get_service_request(private_id)

    assert private["status"] == "open" and private["description"] == ""
    assert (private["lat"], private["long"]) == (40.758, -73.986)
    assert public["description"] == "Broken bench in the park, reached me at [email]"
    assert {private_id, public_id} <= set(listed)
    assert all("555 0199" not in (r["description"] or "") for r in listed.values())
    assert xml_one["service_request_id"] == private_id
    assert not xml_one.get("description")
