"""Abuse limits on public intake: per resident (token subject) on submit, per api key (and per
client account within it) on Open311 POST. Beyond the limit: 429 with Retry-After, nothing
stored, one WARNING without personal data; the window slides on the injected clock. The body
and photo limits still hold beside them."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from gridplus.kit.config import ConfigError, Env
from gridplus.petition.api.http import MAX_BODY_BYTES, create_app
from gridplus.petition.api.intake_limits import IntakeLimits
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.config import PetitionSettings
from tests.integration.petition.conftest import CATEGORIES, JWT, OPEN311_KEY, Store, bearer, token

pytestmark = pytest.mark.integration

OTHER_KEY = "another-open311-key"
BODY = {
    "title": "噪音扰民",
    "description": "楼上每晚装修 call me 13812345678",
    "lat": 39.9,
    "lon": 116.4,
    "contact": {"name": "王小明", "phone": "13812345678"},
}
FORM = {
    "service_code": "nyc.noise_residential",
    "lat": "40.7128",
    "long": "-74.0060",
    "description": "Loud music every night",
    "phone": "2125550123",
}


def limited(store: Store, limits: IntakeLimits) -> FlaskClient:
    app = create_app(
        sessions=store.sessions,
        deps=store.deps,
        jwt=JWT,
        categories=CATEGORIES,
        open311_settings=Open311Settings(api_keys=frozenset({OPEN311_KEY, OTHER_KEY})),
        intake_limits=limits,
    )
    return app.test_client()


def submit(client: FlaskClient, who: str) -> Any:
    return client.post("/api/v1/petitions", json=BODY, headers=bearer(who))


def post311(client: FlaskClient, key: str = OPEN311_KEY, fmt: str = "json", **extra: str) -> Any:
    return client.post(f"/open311/v2/requests.{fmt}", data={**FORM, "api_key": key, **extra})


def test_the_eleventh_submit_in_a_minute_is_refused_and_stores_nothing(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    client = limited(store, IntakeLimits(per_resident=10))
    for _ in range(10):
        assert submit(client, "resident-a").status_code == 201
        store.clock.advance(timedelta(seconds=3))  # ten in 30 s

    with caplog.at_level(logging.WARNING, logger="gridplus.petition.api.intake_limits"):
        refused = submit(client, "resident-a")

    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    # The first of the ten leaves the window 60 s after it was admitted: 30 s from now.
    assert refused.headers["Retry-After"] == "30"
    problem = refused.get_json()
    assert problem["status"] == 429 and "10 petitions a minute" in problem["detail"]
    assert store.petition_count() == 10
    [line] = caplog.records
    logged = f"{line.getMessage()} {line.__dict__}"
    assert line.levelname == "WARNING" and line.__dict__["limit_kind"] == "resident"
    for secret in ("resident-a", "13812345678", "王小明", "楼上", token("resident-a")[:20]):
        assert secret not in logged  # no subject, phone, name, text or token
    assert len(line.__dict__["caller_hash"]) == 12


def test_another_resident_is_unaffected_and_the_window_slides(store: Store) -> None:
    client = limited(store, IntakeLimits(per_resident=10))
    for _ in range(10):
        assert submit(client, "resident-a").status_code == 201
    assert submit(client, "resident-a").status_code == 429

    assert submit(client, "resident-b").status_code == 201

    store.clock.advance(timedelta(seconds=59))
    assert submit(client, "resident-a").headers["Retry-After"] == "1"
    store.clock.advance(timedelta(seconds=1))
    assert submit(client, "resident-a").status_code == 201
    # Refusals did not count: only the one admitted now fills the fresh window.
    assert store.petition_count() == 12


def test_a_retried_idempotency_key_still_counts(store: Store) -> None:
    client = limited(store, IntakeLimits(per_resident=2))
    headers = {**bearer("resident-a"), "Idempotency-Key": "k-1"}
    for _ in range(2):
        assert client.post("/api/v1/petitions", json=BODY, headers=headers).status_code == 201
    # A retry with the same key is still an attempt: a flood cannot hide behind one key.
    assert client.post("/api/v1/petitions", json=BODY, headers=headers).status_code == 429
    assert store.petition_count() == 1


def test_replicas_share_the_limit(store: Store) -> None:
    """Three replicas: each admits its share, ten divided by three rounded up."""
    client = limited(store, IntakeLimits(per_resident=10, replicas=3))
    answers = [submit(client, "resident-a").status_code for _ in range(5)]
    assert answers == [201, 201, 201, 201, 429]


def test_open311_posts_are_limited_per_api_key(store: Store) -> None:
    client = limited(store, IntakeLimits(per_api_key=3))
    for _ in range(3):
        assert post311(client).status_code == 201

    refused = post311(client)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    [error] = refused.get_json()  # the spec's error list, as every Open311 refusal
    assert error["code"] == 429 and "api_key" in error["description"]
    as_xml = post311(client, fmt="xml")
    assert as_xml.status_code == 429 and as_xml.mimetype == "text/xml"
    assert as_xml.headers["Retry-After"] == "60"
    assert store.petition_count() == 3

    assert post311(client, key=OTHER_KEY).status_code == 201


def test_an_unknown_api_key_is_refused_before_it_counts(store: Store) -> None:
    client = limited(store, IntakeLimits(per_api_key=1))
    for _ in range(3):
        assert post311(client, key="guessed").status_code == 403
    assert post311(client).status_code == 201


def test_one_account_within_an_api_key_is_held_to_a_residents_limit(store: Store) -> None:
    client = limited(store, IntakeLimits(per_resident=2, per_api_key=60))
    for _ in range(2):
        assert post311(client, account_id="acct-1").status_code == 201
    refused = post311(client, account_id="acct-1")
    assert refused.status_code == 429
    assert "account_id" in refused.get_json()[0]["description"]
    assert post311(client, account_id="acct-2").status_code == 201
    assert post311(client).status_code == 201  # no account: only the key's limit applies


def test_the_body_and_photo_limits_still_hold(store: Store) -> None:
    client = limited(store, IntakeLimits())
    big = {**BODY, "description": "x" * MAX_BODY_BYTES}
    too_large = client.post("/api/v1/petitions", json=big, headers=bearer("resident-a"))
    assert too_large.status_code == 413
    assert too_large.mimetype == "application/problem+json"

    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    photos = [(io.BytesIO(png.getvalue()), f"{n}.png") for n in range(10)]  # more than 9
    too_many = client.post(
        "/api/v1/petitions",
        data={"title": "乱堆垃圾", "lat": "39.9", "lon": "116.4", "photos": photos},
        content_type="multipart/form-data",
        headers=bearer("resident-a"),
    )
    assert too_many.status_code == 400
    assert [e["field"] for e in too_many.get_json()["errors"]] == ["photos"]
    assert store.petition_count() == 0


def settings(tmp_path: Path, **environ: str) -> PetitionSettings:
    return PetitionSettings.from_env(Env(environ), tmp_path)


def test_the_limits_come_from_the_environment(tmp_path: Path) -> None:
    assert settings(tmp_path).intake_limits == IntakeLimits(10, 60, 1)
    configured = settings(
        tmp_path,
        GRIDPLUS_PETITION_SUBMITS_PER_MINUTE_PER_RESIDENT="5",
        GRIDPLUS_PETITION_OPEN311_POSTS_PER_MINUTE_PER_KEY="0",
        GRIDPLUS_PETITION_REPLICAS="4",
    )
    assert configured.intake_limits == IntakeLimits(5, 0, 4)
    with pytest.raises(ConfigError, match="GRIDPLUS_PETITION_SUBMITS_PER_MINUTE_PER_RESIDENT"):
        settings(tmp_path, GRIDPLUS_PETITION_SUBMITS_PER_MINUTE_PER_RESIDENT="-1")


def test_zero_means_no_limit(store: Store) -> None:
    client = limited(store, IntakeLimits(per_resident=0, per_api_key=0))
    assert all(submit(client, "resident-a").status_code == 201 for _ in range(30))
