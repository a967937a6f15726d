"""Kafka records built by hand, as a service's consumer polls them (CloudEvents headers, protobuf
value, the event's key), for tests that drive the kit's BatchApplier without a broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from google.protobuf.message import Message

from gridplus.kit.events import encode_headers


def consumer_record(
    offset: int,
    payload: Message,
    *,
    key: str,
    source: str,
    time: datetime | None = None,
    topic: str = "t",
) -> Any:
    """One record of partition 0 at `offset`, with a fresh event id."""
    headers = encode_headers(
        event_id=str(uuid.uuid4()),
        ce_type=payload.DESCRIPTOR.full_name,
        source=source,
        time=time or datetime.now(UTC),
        traceparent=None,
    )
    return SimpleNamespace(
        key=key.encode(),
        value=payload.SerializeToString(),
        headers=headers,
        topic=topic,
        partition=0,
        offset=offset,
    )


class OneByOne:
    """Stands in for the consumer's per-event path: what it was handed, with attempts used."""

    def __init__(self) -> None:
        self.handed: list[tuple[int, int]] = []

    def __call__(self, record: Any, attempts: int) -> bool:
        self.handed.append((record.offset, attempts))
        return True
