"""Kafka clients configured the same way everywhere (standard kafka-python API only)."""

from __future__ import annotations

import contextlib
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from gridplus.kit.config import KafkaSettings


def _common(settings: KafkaSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "security_protocol": settings.security_protocol,
        # kafka-python waits 30 s for a first broker inside the constructor, where a stop request
        # cannot reach it; every caller retries with backoff, so fail fast and let SIGTERM drain.
        "bootstrap_timeout_ms": 3000,
    }
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password
    if settings.ssl_cafile:
        options["ssl_cafile"] = settings.ssl_cafile
    return options


def create_producer(settings: KafkaSettings, client_id: str) -> KafkaProducer:
    return KafkaProducer(
        **_common(settings),
        client_id=client_id,
        acks="all",
        linger_ms=5,
        # When the broker is away, fail a send within seconds so the relay can back off
        # instead of blocking; the outbox keeps the event meanwhile.
        max_block_ms=5000,
        request_timeout_ms=10000,
        retries=5,
    )


def create_consumer(
    settings: KafkaSettings, group_id: str, client_id: str, **overrides: Any
) -> KafkaConsumer:
    options: dict[str, Any] = dict(
        **_common(settings),
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # kafka-python's 45 s default session makes group joins and failover crawl.
        session_timeout_ms=6000,
        heartbeat_interval_ms=1500,
        max_poll_records=200,
        max_poll_interval_ms=300000,
        group_instance_id=settings.group_instance_id,
    )
    options.update(overrides)
    return KafkaConsumer(**options)


def ensure_topics(settings: KafkaSettings, topics: list[str]) -> None:
    """Create topics that do not exist yet (operators may pre-create them with their own sizing)."""
    admin = KafkaAdminClient(**_common(settings), client_id="gridplus-admin")
    try:
        existing = set(admin.list_topics())
        wanted = [t for t in topics if t not in existing]
        if wanted:
            # Another service may create the same topic first.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(
                            t,
                            num_partitions=settings.topic_partitions,
                            replication_factor=settings.replication_factor,
                        )
                        for t in wanted
                    ]
                )
    finally:
        admin.close()
