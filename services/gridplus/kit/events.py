"""Events on Kafka: protobuf payloads with CloudEvents binary-mode headers and W3C traceparent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

CONTENT_TYPE = "application/protobuf"
SPEC_VERSION = "1.0"

Headers = Sequence[tuple[str, bytes]]


class MalformedEvent(Exception):
    """A message on a topic that is not a Grid+ event we can read (a poison message)."""


@dataclass(frozen=True)
class Event:
    id: str
    type: str  # the payload's full protobuf name, e.g. gridplus.events.v1.PetitionSubmitted
    source: str  # the publishing service, e.g. /gridplus/petition
    time: datetime
    key: str  # the aggregate id: one petition's events share a partition and stay ordered
    payload: Message
    traceparent: str | None = None

    @classmethod
    def create(cls, payload: Message, *, key: str, source: str, time: datetime) -> Event:
        return cls(
            id=str(uuid.uuid4()),
            type=payload.DESCRIPTOR.full_name,
            source=source,
            time=time,
            key=key,
            payload=payload,
        )


def encode_headers(
    *, event_id: str, ce_type: str, source: str, time: datetime, traceparent: str | None
) -> list[tuple[str, bytes]]:
    headers = [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", event_id.encode()),
        ("ce_type", ce_type.encode()),
        ("ce_source", source.encode()),
        ("ce_time", time.isoformat().encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return headers


def header_map(headers: Headers | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in headers or ():
        try:
            result[name] = value.decode() if value is not None else ""
        except UnicodeDecodeError:
            continue
    return result


def decode(key: bytes | None, value: bytes | None, headers: Headers | None) -> Event:
    """Read a Kafka record as an Event; MalformedEvent if it is not one."""
    meta = header_map(headers)
    missing = [h for h in ("ce_id", "ce_type", "ce_source", "ce_time") if not meta.get(h)]
    if missing:
        raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        time = datetime.fromisoformat(meta["ce_time"])
    except ValueError:
        raise MalformedEvent(f"ce_time is not ISO 8601: {meta['ce_time']!r}") from None
    return Event(
        id=meta["ce_id"],
        type=meta["ce_type"],
        source=meta["ce_source"],
        time=time,
        key=(key or b"").decode(errors="replace"),
        payload=parse_payload(meta["ce_type"], value or b""),
        traceparent=meta.get("traceparent"),
    )


def parse_payload(ce_type: str, data: bytes) -> Message:
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(ce_type)
    except KeyError:
        raise MalformedEvent(f"unknown event type {ce_type!r}") from None
    message = message_factory.GetMessageClass(descriptor)()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise MalformedEvent(f"payload is not a valid {ce_type}: {exc}") from None
    return message
