"""Dispatch's own datetime -> Timestamp conversion writes what protobuf's FromDatetime writes: the
instants every event and API message carry must not move by a second or a microsecond."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.dispatch.api.convert import stamp

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def instants() -> list[datetime]:
    rng = random.Random(13)
    fixed = [
        datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 9, 0, 0, 999_999, tzinfo=UTC),
        datetime(2026, 11, 27, 17, 30, 1, 250_000, tzinfo=SHANGHAI),
        datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK),  # inside the spring-forward gap
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK),  # the repeated hour
        datetime(2026, 11, 27, 9, 0, 0, 1, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),  # before the epoch
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 11, 27, 9, 0, 0, 123_456),  # naive: taken as UTC
    ]
    drawn = [
        datetime(1970, 1, 1, tzinfo=UTC)
        + timedelta(seconds=rng.uniform(-2e9, 4e9), microseconds=rng.randrange(1_000_000))
        for _ in range(200)
    ]
    return fixed + drawn


@pytest.mark.parametrize("at", instants(), ids=str)
def test_stamp_writes_what_from_datetime_writes(at: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(at)
    written = Timestamp(seconds=7, nanos=9)  # a used field: both parts are overwritten

    stamp(written, at)

    assert (written.seconds, written.nanos) == (expected.seconds, expected.nanos)
