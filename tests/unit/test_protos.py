"""The protobuf contract: generated code is fresh, protos/ lints clean, events round-trip."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2

ROOT = Path(__file__).resolve().parents[2]
# Fields that would carry a resident's personal data; events carry ids only (DESIGN.md, Events).
PERSONAL_FIELD_WORDS = ("name", "phone", "address", "email")
# Messages that describe things, not people: their names are not personal data.
IMPERSONAL_MESSAGES = {"CategoryChoice"}


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _buf() -> str | None:
    beside_python = Path(sys.executable).with_name("buf")
    return str(beside_python) if beside_python.exists() else shutil.which("buf")


def test_generated_code_matches_protos() -> None:
    result = _run([sys.executable, "tools/gen_protos.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, f"run tools/gen_protos.py:\n{result.stdout}{result.stderr}"


def test_protos_are_buf_lint_clean() -> None:
    buf = _buf()
    if buf is None:
        pytest.skip("buf binary not found (pip install buf-bin, see pyproject dev extras)")
    result = _run([buf, "lint"], cwd=ROOT / "protos")
    assert result.returncode == 0, result.stdout + result.stderr


def test_status_changed_event_round_trips() -> None:
    changed_at = Timestamp()
    changed_at.FromDatetime(datetime(2025, 3, 1, 8, 30, tzinfo=UTC))
    event = events_pb2.PetitionStatusChanged(
        petition_id="p-1",
        from_status=petition_pb2.PETITION_STATUS_ASSIGNED,
        to_status=petition_pb2.PETITION_STATUS_VERIFIED,
        actor_id="w-7",
        actor_role="grid_worker",
        note="confirmed on site",
        changed_at=changed_at,
    )

    decoded = events_pb2.PetitionStatusChanged.FromString(event.SerializeToString())

    assert decoded == event
    assert decoded.to_status == petition_pb2.PETITION_STATUS_VERIFIED
    assert decoded.changed_at.ToDatetime(tzinfo=UTC) == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def test_events_carry_no_personal_data_fields() -> None:
    for message in events_pb2.DESCRIPTOR.message_types_by_name.values():
        if message.name in IMPERSONAL_MESSAGES:
            continue
        for field in message.fields:
            assert not any(word in field.name for word in PERSONAL_FIELD_WORDS), (
                f"{message.name}.{field.name} looks like personal data; events carry ids only"
            )
