"""Personal data (信息保密处理): encrypted at rest with a key id, masked for roles that may not see
it, absent from logs and from the raw Kafka topic; a resident can be anonymised."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from kafka import KafkaConsumer
from sqlalchemy import MetaData, create_engine, select

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.kit.auth import Role
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import KafkaSettings
from gridplus.kit.db import transaction
from gridplus.kit.kafka import create_producer, ensure_topics
from gridplus.kit.masking import mask_phone
from gridplus.kit.outbox import OutboxRelay
from gridplus.kit.pii import KeyRing
from gridplus.kit.topology import events_topic
from gridplus.petition.__main__ import main as petition_main
from gridplus.petition.storage import contacts
from gridplus.petition.storage.models import ContactRow
from tests.integration.petition.conftest import KEYS, Store, as_caller, assigned, bearer, deliver
from tests.support.broker import Broker

pytestmark = pytest.mark.integration

NAME, PHONE, EMAIL, ADDRESS = (
    "张三丰",
    "13812341234",
    "zhang@example.org",
    "海淀区中关村大街27号3单元501",
)
SECRETS = [NAME, PHONE, EMAIL, ADDRESS, "3单元501"]
OLD_KEY = base64.b64encode(bytes(range(32))).decode()
NEW_KEY = base64.b64encode(bytes(range(1, 33))).decode()
CONTACT = {"name": NAME, "phone": PHONE, "email": EMAIL, "address": ADDRESS}


def submit(client: FlaskClient, who: str = "resident-a") -> str:
    contact = {**CONTACT, "language": "en"}
    body = {"title": "楼道堆物", "description": "", "lat": 39.9, "lon": 116.4, "contact": contact}
    response = client.post("/api/v1/petitions", json=body, headers=bearer(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def table_dump(database_url: str) -> str:
    """Every row of every table, as text: what someone reading the database directly sees."""
    engine = create_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    parts = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    parts.append(
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    )
    engine.dispose()
    return "\n".join(parts)


def test_contacts_are_encrypted_at_rest_with_their_key_id(
    client: FlaskClient, store: Store, database_url: str
) -> None:
    petition_id = submit(client)

    dump = table_dump(database_url)
    assert [s for s in SECRETS if s in dump] == []
    with transaction(store.sessions) as session:
        row = session.get(ContactRow, petition_id)
        assert row is not None and row.key_id == "k1" and row.phone
        # A ciphertext moved to another row or field does not open.
        assert contacts.get(session, petition_id=petition_id, keys=KEYS) is not None
    with transaction(store.sessions) as session:
        other = session.get(ContactRow, petition_id)
        assert other is not None
        other.name = other.phone
    with transaction(store.sessions) as session, pytest.raises(Exception, match="does not open"):
        contacts.get(session, petition_id=petition_id, keys=KEYS)


def test_a_new_key_encrypts_while_the_old_one_still_reads(
    client: FlaskClient, store: Store
) -> None:
    old = submit(client)
    rotated = KeyRing([("k2", bytes(range(1, 33))), ("k1", bytes(range(32)))])
    with transaction(store.sessions) as session:
        found = contacts.get(session, petition_id=old, keys=rotated)
    assert found is not None and found.phone == PHONE
    assert rotated.seal("x", context="c").key_id == "k2"

    with transaction(store.sessions) as session:  # reseal-contacts, then drop the old key
        assert contacts.reseal(session, keys=rotated, limit=1) == 1
        assert contacts.reseal(session, keys=rotated) == 0
    only_new = KeyRing([("k2", bytes(range(1, 33)))])
    with transaction(store.sessions) as session:
        again = contacts.get(session, petition_id=old, keys=only_new)
        row = session.get(ContactRow, old)
    assert again == found and row is not None and row.key_id == "k2"


def test_reseal_contacts_is_an_operator_command_that_needs_no_jwt_secret(
    client: FlaskClient,
    store: Store,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = submit(client)
    monkeypatch.delenv("GRIDPLUS_JWT_SECRET", raising=False)
    monkeypatch.setenv("GRIDPLUS_PETITION_DATABASE_URL", database_url)
    monkeypatch.setenv("GRIDPLUS_PII_KEYS", f"k2:{NEW_KEY},k1:{OLD_KEY}")

    petition_main(["reseal-contacts"])

    assert "resealed 1 contact(s) under key k2" in capsys.readouterr().out
    only_new = KeyRing([("k2", bytes(range(1, 33)))])
    with transaction(store.sessions) as session:
        found = contacts.get(session, petition_id=old, keys=only_new)
    assert found is not None and found.phone == PHONE
    monkeypatch.setenv("GRIDPLUS_PII_KEYS", "k3:not-base64")
    with pytest.raises(SystemExit) as failed:
        petition_main(["reseal-contacts"])
    assert failed.value.code == 1 and "GRIDPLUS_PII_KEYS" in capsys.readouterr().err


def test_answers_are_masked_unless_the_role_may_see_the_contact(
    client: FlaskClient, store: Store, stub
) -> None:
    petition_id = submit(client)
    event = assigned(petition_id, store.clock.now().replace(year=2027))
    event.department_code = "housing"
    deliver(store, event, petition_id)

    own = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a")).get_json()
    assert own["contact"] == {**CONTACT, "language": "en", "masked": False}
    department = as_caller("d-1", Role.DEPARTMENT_STAFF, department="housing")
    masked = stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=department).petition
    assert (masked.reporter_contact.phone, masked.reporter_contact.name) == ("138****1234", "张**")
    assert masked.reporter_contact.email == "z***@example.org"
    assert masked.reporter_contact.address == "海淀区中关村***"
    assert masked.reporter_contact.masked
    worker = as_caller("w-1", Role.GRID_WORKER, grids=("G1",))
    whole = stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=worker).petition
    assert (whole.reporter_contact.phone, whole.reporter_contact.masked) == (PHONE, False)
    assert mask_phone("+8613812341234") == "+86*******1234"


def test_logs_never_carry_personal_data(
    client: FlaskClient, store: Store, stub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    petition_id = submit(client)
    client.post(  # a bad contact is named, not echoed
        "/api/v1/petitions",
        json={"title": "x", "lat": 1, "lon": 1, "contact": {"phone": NAME, "email": PHONE}},
        headers=bearer("resident-a"),
    )
    client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a"))
    stub.GetReporterContacts(
        S.GetReporterContactsRequest(petition_id=petition_id),
        metadata=as_caller("notification", Role.SERVICE),
    )
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert [s for s in SECRETS if s in logged] == []


def test_the_raw_kafka_topic_carries_no_personal_data(
    client: FlaskClient, store: Store, broker: Broker, database_url: str
) -> None:
    submit(client)
    settings = KafkaSettings(broker.bootstrap, "PLAINTEXT", None, None, None, None, 2, 1)
    topic = events_topic("petition")
    ensure_topics(settings, [topic])
    engine = store.sessions.kw["bind"]
    relay = OutboxRelay(
        engine, store.sessions, lambda: create_producer(settings, "t"), SystemClock()
    )
    assert relay.publish_pending() >= 1
    relay._shutdown()

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        enable_auto_commit=False,
    )
    raw = b"".join(record.value + b"".join(v for _, v in record.headers) for record in consumer)
    consumer.close()
    assert raw, "the events reached the topic"
    assert [s for s in SECRETS if s.encode() in raw] == []


def test_anonymising_erases_the_contact_and_keeps_the_petitions(
    client: FlaskClient, store: Store, stub, database_url: str
) -> None:
    first, second = submit(client), submit(client)
    other = submit(client, "resident-b")

    assert (
        client.delete("/api/v1/me/personal-data", headers=bearer("resident-a")).status_code == 204
    )

    for petition_id in (first, second):
        shown = client.get(f"/api/v1/petitions/{petition_id}", headers=bearer("resident-a"))
        assert shown.status_code == 200 and shown.get_json()["contact"] is None
    kept = client.get(f"/api/v1/petitions/{other}", headers=bearer("resident-b")).get_json()
    assert kept["contact"]["phone"] == PHONE
    erased = stub.AnonymiseResident(
        S.AnonymiseResidentRequest(request_id="a-1", resident_id="resident-b"),
        metadata=as_caller("admin-1", Role.ADMIN),
    )
    assert erased.contacts_erased == 1
    assert [s for s in SECRETS if s in table_dump(database_url)] == []
    assert (
        client.delete("/api/v1/me/personal-data", headers=bearer("w", Role.ADMIN)).status_code
        == 403
    )


def test_keys_come_from_the_environment(tmp_path: Path) -> None:
    from gridplus.kit.config import ConfigError, Env

    single = KeyRing.from_env(Env({"GRIDPLUS_PII_KEY": OLD_KEY}), tmp_path)
    ring = KeyRing.from_env(Env({"GRIDPLUS_PII_KEYS": f"new:{NEW_KEY},old:{OLD_KEY}"}), tmp_path)
    sealed = single.seal(PHONE, context="p/phone")
    assert ring.active_id == "new"
    assert (
        KeyRing([("new", bytes(range(1, 33))), (sealed.key_id, bytes(range(32)))]).open(
            sealed, context="p/phone"
        )
        == PHONE
    )
    with pytest.raises(ConfigError, match="32 bytes"):
        KeyRing.from_env(Env({"GRIDPLUS_PII_KEY": "c2hvcnQ="}), tmp_path)
    development = KeyRing.from_env(Env({}), tmp_path)
    assert (tmp_path / "pii-key").exists()
    assert KeyRing.from_env(Env({}), tmp_path).active_id == development.active_id
