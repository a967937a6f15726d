"""The OpenAPI description (api/openapi.json) is valid OpenAPI 3.1, is served at /openapi.json,
and stays in step with the Flask routes: every route described, every described operation a
route, every example valid against its schema."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import grpc
import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from gridplus.petition.api import openapi
from gridplus.petition.api.http import create_app
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.clients import FollowUpClient
from tests.integration.petition.conftest import CATEGORIES, JWT, OPEN311_KEY, Store, bearer

pytestmark = pytest.mark.integration

_CONVERTER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


@pytest.fixture
def full_app(store: Store) -> Iterator[Flask]:
    """Every optional part on (Open311, rating and follow-up); the evaluation channel is never
    used by these tests, so nothing listens behind it."""
    channel = grpc.insecure_channel("127.0.0.1:9")
    yield create_app(
        sessions=store.sessions,
        deps=store.deps,
        jwt=JWT,
        categories=CATEGORIES,
        open311_settings=Open311Settings(api_keys=frozenset({OPEN311_KEY})),
        follow_ups=FollowUpClient(channel),
    )
    channel.close()


def description() -> dict[str, Any]:
    return dict(json.loads(openapi.read_description()))


def routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) for every rule; Flask's automatic HEAD and OPTIONS left out."""
    found = set()
    for rule in app.url_map.iter_rules():
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method, path))
    return found


def described(doc: dict[str, Any]) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in methods
    }


def test_the_description_is_valid_openapi_3_1() -> None:
    doc = description()
    validate(doc)  # raises naming what is wrong
    assert doc["openapi"].startswith("3.1")


def test_every_route_is_described_and_every_described_operation_is_a_route(
    full_app: Flask,
) -> None:
    served = routes(full_app)
    doc = described(description())
    assert served - doc == set(), "routes missing from api/openapi.json"
    assert doc - served == set(), "described operations no route serves"


def test_path_parameters_match_the_routes() -> None:
    for path, item in description()["paths"].items():
        in_path = set(re.findall(r"{([a-z_]+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == in_path, f"{method.upper()} {path}"


def _examples(node: Any, where: str = "#") -> Iterator[tuple[str, Any, Any]]:
    """(where, schema, example) for each `example`/`examples` beside a schema or inside one."""
    if isinstance(node, dict):
        is_schema = "type" in node or "allOf" in node
        schema = node.get("schema", node if is_schema else None)
        if schema is not None:
            if "example" in node:
                yield where, schema, node["example"]
            for n, example in enumerate(node.get("examples", []) if is_schema else []):
                yield f"{where}/examples/{n}", schema, example
        for key, value in node.items():
            yield from _examples(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _examples(value, f"{where}/{n}")


def example_errors(doc: dict[str, Any]) -> tuple[int, list[str]]:
    """How many examples were checked, and what is wrong with any of them."""
    checked, errors = 0, []
    for where, schema, example in _examples(doc):
        validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
        errors += [f"{where}: {e.message}" for e in validator.iter_errors(example)]
        checked += 1
    return checked, errors


def test_every_example_is_valid_against_its_schema() -> None:
    checked, errors = example_errors(description())
    assert errors == []
    assert checked >= 14  # the requests, the answers and the problems all carry examples


def test_a_wrong_example_is_caught() -> None:
    """The check can fail: a petition example whose latitude is out of range."""
    doc = description()
    doc["components"]["schemas"]["Petition"]["examples"][0]["location"]["lat"] = 91
    _, errors = example_errors(doc)
    assert len(errors) == 1
    assert "Petition/examples/0" in errors[0] and "91" in errors[0]


def test_the_description_is_served_without_a_token(client: FlaskClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == description()


def test_refusals_under_open311_are_its_error_list_and_allow_lists_what_is_served(
    client: FlaskClient,
) -> None:
    """Found by the fuzzer: a method no Open311 route answers came back as problem+json, and
    OPTIONS advertised POST on every resource (a catch-all route answered it)."""
    wrong_method = client.delete("/open311/v2/services.json")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json() == [
        {"code": 405, "description": "The method is not allowed for the requested URL."}
    ]
    assert set(wrong_method.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.post("/open311/v2/nothing.xml").mimetype == "text/xml"
    unknown = client.get("/open311/v2/requests")
    assert unknown.status_code == 404
    assert "add .json or .xml" in unknown.get_json()[0]["description"]
    options = client.options("/open311/v2/discovery.json")
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_open311_refuses_an_idempotency_key_the_resident_api_refuses(
    client: FlaskClient, store: Store
) -> None:
    """Found by the fuzzer: Open311 POST stored a request under a 201-character key (the
    resident API refuses it; the described maximum is 200)."""
    form = {
        "api_key": OPEN311_KEY,
        "service_code": "road.manhole",
        "lat": "39.9",
        "long": "116.4",
    }
    long_key = {"Idempotency-Key": "k" * 201}
    refused = client.post("/open311/v2/requests.json", data=form, headers=long_key)
    assert refused.status_code == 400
    assert refused.get_json()[0]["description"].startswith("idempotency_key: ")
    assert store.petition_count() == 0
    fine = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "k1"})
    assert fine.status_code == 201


def test_a_photos_field_that_is_not_a_file_is_refused(client: FlaskClient, store: Store) -> None:
    """Found by the fuzzer: a `photos` part without a filename was dropped and the petition
    stored without it; the resident would think the photo went with it."""
    refused = client.post(
        "/api/v1/petitions",
        data={"title": "乱堆垃圾", "lat": "39.9", "lon": "116.4", "photos": "not a file"},
        content_type="multipart/form-data",
        headers=bearer("resident-a"),
    )
    assert refused.status_code == 400
    assert [e["field"] for e in refused.get_json()["errors"]] == ["photos"]
    assert store.petition_count() == 0
