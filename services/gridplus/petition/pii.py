"""Personal data (信息保密处理): AES-GCM encryption at rest with rotating keys, and masking.

Every ciphertext is stored with the id of the key that made it, so old rows stay readable after
a new key becomes active. Each value is bound to its row and field (associated data), so a
ciphertext copied into another row or column does not decrypt.
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
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    log.warning("GRIDPLUS_PII_KEY is not set: using the development key in var/pii-key")
    key = _decode(str(path), path.read_text())
    return key_id_of(key), key


# -- masking ---------------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """138****1234: the operator prefix and the last four digits stay."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """张** / J*** : the first character only."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_email(email: str) -> str:
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_name(email)
    return f"{local[:1]}***@{domain}"


def mask_address(address: str) -> str:
    """The first few characters (district, street) only; house numbers are hidden."""
    address = address.strip()
    keep = min(6, len(address) // 2)
    return address[:keep] + "***" if address else ""
