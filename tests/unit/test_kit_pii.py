"""The kit's personal-data key ring: sealing bound to a context, rotation, keys from the env."""

from __future__ import annotations

import base64
import logging
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gridplus.kit.config import ConfigError, Env
from gridplus.kit.pii import KeyRing, Sealed, UnreadableCiphertext, key_id_of

OLD = bytes(range(32))
NEW = bytes(range(1, 33))


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_a_value_opens_only_in_its_context_and_with_its_key() -> None:
    ring = KeyRing([("k1", OLD)])
    sealed = ring.seal("zhang@example.org", context="d-1/address")
    assert sealed.key_id == "k1"
    assert b"zhang" not in sealed.blob
    assert ring.open(sealed, context="d-1/address") == "zhang@example.org"
    with pytest.raises(UnreadableCiphertext):
        ring.open(sealed, context="d-2/address")
    with pytest.raises(UnreadableCiphertext):
        KeyRing([("k1", NEW)]).open(sealed, context="d-1/address")
    with pytest.raises(UnreadableCiphertext):
        KeyRing([("k2", OLD)]).open(sealed, context="d-1/address")  # no key with that id
    tampered = Sealed("k1", sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))
    with pytest.raises(UnreadableCiphertext):
        ring.open(tampered, context="d-1/address")
    assert ring.seal("x", context="c").blob != ring.seal("x", context="c").blob  # fresh nonces


def test_after_rotation_new_values_use_the_new_key_and_old_ones_still_open() -> None:
    before = KeyRing([("k1", OLD)])
    old_value = before.seal("13812341234", context="c")
    rotated = KeyRing([("k2", NEW), ("k1", OLD)])
    assert rotated.active_id == "k2"
    assert rotated.open(old_value, context="c") == "13812341234"
    assert rotated.seal("13812341234", context="c").key_id == "k2"


def test_keys_must_be_32_bytes_and_at_least_one() -> None:
    with pytest.raises(ConfigError):
        KeyRing([])
    with pytest.raises(ConfigError):
        KeyRing([("short", b"x" * 16)])


def test_keys_come_from_the_environment(tmp_path: Path) -> None:
    single = KeyRing.from_env(Env({"GRIDPLUS_PII_KEY": b64(OLD)}), tmp_path)
    assert single.active_id == key_id_of(OLD)
    sealed = single.seal("a", context="c")
    ring = KeyRing.from_env(Env({"GRIDPLUS_PII_KEYS": f"new:{b64(NEW)}, old:{b64(OLD)}"}), tmp_path)
    assert ring.active_id == "new"
    assert KeyRing([("new", NEW), (key_id_of(OLD), OLD)]).open(sealed, context="c") == "a"
    # The ring wins over the single key.
    both = Env({"GRIDPLUS_PII_KEYS": f"new:{b64(NEW)}", "GRIDPLUS_PII_KEY": b64(OLD)})
    assert KeyRing.from_env(both, tmp_path).active_id == "new"
    assert not (tmp_path / "pii-key").exists()


@pytest.mark.parametrize(
    "environ",
    [
        {"GRIDPLUS_PII_KEY": "c2hvcnQ="},  # 5 bytes
        {"GRIDPLUS_PII_KEY": "not base64!"},
        {"GRIDPLUS_PII_KEYS": b64(OLD)},  # no id
        {"GRIDPLUS_PII_KEYS": f"k1:{b64(b'short')}"},
    ],
)
def test_a_bad_key_setting_fails_fast_naming_the_variable(
    environ: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="GRIDPLUS_PII_KEY"):
        KeyRing.from_env(Env(environ), tmp_path)


def test_without_a_key_a_development_key_is_kept_in_the_var_dir(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    var_dir = tmp_path / "var"
    caplog.set_level(logging.WARNING)
    first = KeyRing.from_env(Env({}), var_dir)
    path = var_dir / "pii-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KeyRing.from_env(Env({}), var_dir).active_id == first.active_id
    assert "development key" in caplog.text
    assert path.read_text() not in caplog.text  # the key itself is never logged
    assert [p.name for p in var_dir.iterdir()] == ["pii-key"]  # no drafts left behind


def test_services_starting_together_share_one_development_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _: KeyRing.from_env(Env({}), tmp_path), range(16)))
    assert len({ring.active_id for ring in rings}) == 1
    sealed = rings[0].seal("13812341234", context="c")
    assert all(ring.open(sealed, context="c") == "13812341234" for ring in rings)
