"""Tables the kit keeps in every service's database (created by the kit's own migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

kit_metadata = MetaData()

# One row per event a service must publish, written in the same transaction as the change.
outbox_messages = Table(
    "kit_outbox_messages",
    kit_metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("ce_type", String(200), nullable=False),
    Column("ce_source", String(200), nullable=False),
    Column("ce_time", DateTime(timezone=True), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("traceparent", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
)

# Event ids a consumer has applied, recorded in the same transaction as the effect.
processed_events = Table(
    "kit_processed_events",
    kit_metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

# Responses to mutating requests by request id / Idempotency-Key, so a retry is applied once.
idempotency_keys = Table(
    "kit_idempotency_keys",
    kit_metadata,
    Column("scope", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
