"""The resident HTTP API through Flask's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.auth import Role
from tests.integration.petition.conftest import Store, bearer

pytestmark = pytest.mark.integration

BODY = {
    "title": "路灯不亮",
    "description": "lamp at gate 3 is out",
    "lat": 39.91,
    "lon": 116.39,
}


def submit(
    client: FlaskClient,
    body: Any = None,
    *,
    who: str = "resident-a",
    role: Role = Role.RESIDENT,
    key: str | None = None,
) -> TestResponse:
    headers = bearer(who, role)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/petitions", json=BODY if body is None else body, headers=headers)


# Shown on every petition since issue 4; test_lifecycle_api.py covers them.
LATER_FIELDS = {
    "category_choice",
    "triage",
    "department_code",
    "deadlines",
    "duplicate_of",
    "resolution_note",
    "light",
    "contact",
    "photos",
}


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= set(problem)
    return problem


def test_a_resident_submits_and_the_event_is_in_the_outbox(
    client: FlaskClient, store: Store
) -> None:
    response = submit(client, {**BODY, "category": "streetlight"})

    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "SUBMITTED"
    assert response.headers["Location"] == f"/api/v1/petitions/{created['id']}"
    [event] = store.events(events_pb2.PetitionSubmitted)
    assert event.petition_id == created["id"]
    assert event.reporter_id == "resident-a"
    assert event.category == "streetlight"
    assert (event.location.lat, event.location.lon) == (39.91, 116.39)
    assert event.source == petition_pb2.PETITION_SOURCE_RESIDENT
    assert store.wakes, "the outbox relay is woken after the commit"

    shown = client.get(response.headers["Location"], headers=bearer("resident-a")).get_json()
    assert {key: shown[key] for key in shown if key not in LATER_FIELDS} == {
        "id": created["id"],
        "status": "SUBMITTED",
        "title": "路灯不亮",
        "description": "lamp at gate 3 is out",
        "category": "streetlight",
        "location": {"lat": 39.91, "lon": 116.39},
        "grid": None,  # and no assignee_id: a resident never reads a staff id (issue 15)
        "deadline": None,
        "paused": False,
        "paused_at": None,
        "reject_reason": None,
        "source": "RESIDENT",
        "public": False,  # not published on Open311 unless the reporter chooses it
        "publication": "PRIVATE",
        "created_at": "2026-11-27T09:00:00+00:00",
        "updated_at": "2026-11-27T09:00:00+00:00",
    }


def test_an_idempotency_key_replays_the_first_answer_and_stores_once(
    client: FlaskClient, store: Store
) -> None:
    first = submit(client, key="retry-1")
    again = submit(client, key="retry-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert store.petition_count() == 1
    assert len(store.events(events_pb2.PetitionSubmitted)) == 1
    # Keys belong to their caller: another resident's same key is a new petition.
    assert (
        submit(client, who="resident-b", key="retry-1").get_json()["id"] != first.get_json()["id"]
    )


def test_concurrent_retries_with_one_key_store_one_petition(
    client: FlaskClient, store: Store
) -> None:
    app = client.application
    answers: list[TestResponse] = []

    def retry() -> None:
        answers.append(submit(app.test_client(), key="flaky-network"))

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert store.petition_count() == 1


def test_reusing_a_key_for_another_body_is_refused(client: FlaskClient, store: Store) -> None:
    submit(client, key="retry-2")

    problem = assert_problem(
        submit(client, {**BODY, "title": "something else"}, key="retry-2"), 422
    )

    assert problem["errors"][0]["field"] == "idempotency_key"
    assert store.petition_count() == 1


def test_a_bad_body_gets_400_naming_each_field_and_stores_nothing(
    client: FlaskClient, store: Store
) -> None:
    problem = assert_problem(submit(client, {"title": "", "lat": "39.9", "lon": 200}), 400)

    fields = {error["field"]: error["detail"] for error in problem["errors"]}
    assert set(fields) == {"title", "lat", "lon"}
    assert "number" in fields["lat"]
    assert store.petition_count() == 0
    assert store.events(events_pb2.PetitionSubmitted) == []


def test_malformed_json_and_wrong_content_type_are_named(client: FlaskClient) -> None:
    headers = bearer("resident-a")
    broken = client.post(
        "/api/v1/petitions", data='{"title": ', content_type="application/json", headers=headers
    )
    problem = assert_problem(broken, 400)
    assert problem["errors"][0]["field"] == "body"

    not_an_object = client.post("/api/v1/petitions", json=[BODY], headers=headers)
    assert assert_problem(not_an_object, 400)["errors"][0]["field"] == "body"

    form = client.post("/api/v1/petitions", data={"title": "x"}, headers=headers)
    assert_problem(form, 415)

    huge = client.post(
        "/api/v1/petitions", json={**BODY, "description": "x" * 70_000}, headers=headers
    )
    assert_problem(huge, 413)


def test_authentication_and_roles(client: FlaskClient) -> None:
    missing = client.post("/api/v1/petitions", json=BODY)
    assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"] == "Bearer"

    forged = client.get("/api/v1/petitions", headers={"Authorization": "Bearer not.a.jwt"})
    assert_problem(forged, 401)

    assert_problem(submit(client, who="dispatch", role=Role.SERVICE), 403)
    assert submit(client, who="worker-7", role=Role.GRID_WORKER).status_code == 201


def test_a_resident_cannot_see_another_residents_petition_but_staff_can(
    client: FlaskClient,
) -> None:
    location = submit(client, who="resident-a").headers["Location"]

    assert_problem(client.get(location, headers=bearer("resident-b")), 404)
    assert_problem(client.get(f"{location}/history", headers=bearer("resident-b")), 404)
    # Indistinguishable from an id that does not exist.
    assert_problem(client.get("/api/v1/petitions/nope", headers=bearer("resident-b")), 404)
    assert client.get(location, headers=bearer("admin-1", Role.ADMIN)).status_code == 200
    # Staff see their own scope only: a department sees the petitions it handles.
    assert_problem(client.get(location, headers=bearer("clerk", Role.DEPARTMENT_STAFF)), 404)


def test_my_petitions_newest_first_a_page_at_a_time(client: FlaskClient, store: Store) -> None:
    ids = []
    for n in range(5):
        store.clock.advance(timedelta(minutes=1))
        ids.append(submit(client, {**BODY, "title": f"report {n}"}).get_json()["id"])
    submit(client, who="resident-b")
    headers = bearer("resident-a")

    first = client.get("/api/v1/petitions?limit=2", headers=headers).get_json()
    second = client.get(
        f"/api/v1/petitions?limit=2&cursor={first['next_cursor']}", headers=headers
    ).get_json()
    third = client.get(
        f"/api/v1/petitions?limit=2&cursor={second['next_cursor']}", headers=headers
    ).get_json()

    seen = [p["id"] for page in (first, second, third) for p in page["petitions"]]
    assert seen == list(reversed(ids))
    # The list carries each petition's light (the resident page colours its dots with it); no
    # clock runs before dispatch assigns a petition, so there is none yet.
    assert all("light" in p and p["light"] is None for p in first["petitions"])
    assert third["next_cursor"] is None
    assert_problem(client.get("/api/v1/petitions?limit=101", headers=headers), 400)
    stolen = client.get(
        f"/api/v1/petitions?cursor={first['next_cursor']}", headers=bearer("resident-b")
    )
    assert assert_problem(stolen, 400)["errors"][0]["field"] == "cursor"


def test_history_starts_with_the_submission(client: FlaskClient) -> None:
    location = submit(client).headers["Location"]

    history = client.get(f"{location}/history", headers=bearer("resident-a")).get_json()

    assert history["entries"] == [
        {
            "kind": "STATUS",
            "from_status": None,
            "to_status": "SUBMITTED",
            "actor_id": "resident-a",
            "actor_role": "resident",
            "note": "",
            "at": "2026-11-27T09:00:00+00:00",
        }
    ]


def test_health_unknown_routes_and_wrong_methods(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}
    assert_problem(client.get("/no/such/route"), 404)
    wrong = client.delete("/api/v1/petitions", headers=bearer("resident-a"))
    assert_problem(wrong, 405)
    assert "POST" in wrong.headers["Allow"]
