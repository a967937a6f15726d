"""Personal data encrypted at rest: AES-GCM with a ring of rotating keys from the environment.

Every ciphertext is stored with the id of the key that made it, so old rows stay readable after
a new key becomes active. Each value is bound to its row and field (associated data, the
`context`), so a ciphertext copied into another row or column does not decrypt.

Every service that stores personal data reads the same settings: GRIDPLUS_PII_KEYS
(`id:base64,id:base64`, active first) or GRIDPLUS_PII_KEY (base64 of 32 bytes); without either,
a development key kept in `<var dir>/pii-key` (shared by all services of a local stack).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gridplus.kit.config import ConfigError, Env

log = logging.getLogger(__name__)

_NONCE_BYTES = 12


class UnreadableCiphertext(Exception):
    """Stored personal data that no configured key can open (wrong key, or tampered)."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes  # nonce + ciphertext + tag


class KeyRing:
    """Encrypts with the active (first) key; decrypts with whichever key made the value."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ConfigError("at least one personal-data key is needed")
        for key_id, key in keys:
            if len(key) != 32:
                raise ConfigError(f"personal-data key {key_id!r} must be 32 bytes (AES-256)")
        self._active_id = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def active_id(self) -> str:
        return self._active_id

    def seal(self, plaintext: str, *, context: str) -> Sealed:
        nonce = os.urandom(_NONCE_BYTES)
        cipher = self._ciphers[self._active_id]
        blob = nonce + cipher.encrypt(nonce, plaintext.encode(), context.encode())
        return Sealed(self._active_id, blob)

    def open(self, sealed: Sealed, *, context: str) -> str:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise UnreadableCiphertext(f"no key {sealed.key_id!r} in the key ring")
        nonce, body = sealed.blob[:_NONCE_BYTES], sealed.blob[_NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, body, context.encode()).decode()
        except InvalidTag:
            raise UnreadableCiphertext(f"value does not open with key {sealed.key_id!r}") from None

    @classmethod
    def from_env(cls, env: Env, var_dir: Path) -> KeyRing:
        """GRIDPLUS_PII_KEYS (`id:base64,id:base64`, active first) for rotation, else
        GRIDPLUS_PII_KEY (base64 of 32 bytes, as the chart's Secret holds it). Without either
        (a developer's machine), a random key is kept in `var_dir/pii-key`."""
        ring = env.optional("GRIDPLUS_PII_KEYS")
        if ring:
            return cls([_parse_entry(entry) for entry in ring.split(",") if entry.strip()])
        single = env.optional("GRIDPLUS_PII_KEY")
        if single:
            key = _decode("GRIDPLUS_PII_KEY", single)
            return cls([(key_id_of(key), key)])
        return cls([_development_key(var_dir)])


def key_id_of(key: bytes) -> str:
    """A stable id for a key that reveals nothing about it."""
    return hashlib.sha256(b"gridplus-pii-key-id:" + key).hexdigest()[:12]


def _parse_entry(entry: str) -> tuple[str, bytes]:
    key_id, sep, encoded = entry.strip().partition(":")
    if not sep or not key_id:
        raise ConfigError("GRIDPLUS_PII_KEYS entries must be id:base64key")
    return key_id, _decode(f"GRIDPLUS_PII_KEYS[{key_id}]", encoded)


def _decode(name: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} must be base64") from None
    if len(key) != 32:
        raise ConfigError(f"{name} must decode to 32 bytes, got {len(key)}")
    return key


def _development_key(var_dir: Path) -> tuple[str, bytes]:
    path = var_dir / "pii-key"
    if not path.exists():
        _create_development_key(path)
    log.warning("GRIDPLUS_PII_KEY is not set: using the development key in var/pii-key")
    key = _decode(str(path), path.read_text())
    return key_id_of(key), key


def _create_development_key(path: Path) -> None:
    """Write a fresh key so that services starting together all end up with the same one:
    the file appears complete and only once (a link to a finished temporary file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(base64.b64encode(secrets.token_bytes(32)).decode())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another service made it first: use theirs
    finally:
        draft.unlink()
