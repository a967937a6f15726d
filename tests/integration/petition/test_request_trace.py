"""A request continues its caller's trace: the events it writes carry the caller's trace id
(no exporter configured, so no span is recorded for it)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from gridplus.kit.db import transaction
from gridplus.kit.tables import outbox_messages
from tests.integration.petition.conftest import Store, bearer

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def stored_traceparents(store: Store) -> list[str | None]:
    with transaction(store.sessions) as session:
        return list(session.execute(select(outbox_messages.c.traceparent)).scalars())


def submit(client: FlaskClient, key: str, **headers: str) -> None:
    body = {"title": "井盖丢失", "description": "manhole open", "lat": 39.9, "lon": 116.4}
    response = client.post(
        "/api/v1/petitions",
        json=body,
        headers={**bearer("resident-a"), "Idempotency-Key": key, **headers},
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def test_the_submitted_event_carries_the_callers_trace_id(
    client: FlaskClient, store: Store
) -> None:
    submit(client, "k-1", traceparent=f"00-{TRACE_ID}-00f067aa0ba902b7-01")
    [traceparent] = stored_traceparents(store)
    assert traceparent is not None
    version, trace_id, span_id, flags = traceparent.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id != "00f067aa0ba902b7"  # the request's own span, a child of the caller's


def test_a_request_without_a_trace_starts_one_per_request(
    client: FlaskClient, store: Store
) -> None:
    submit(client, "k-1")
    submit(client, "k-2")
    first, second = stored_traceparents(store)
    assert first is not None and second is not None
    assert first.split("-")[1] != second.split("-")[1]
