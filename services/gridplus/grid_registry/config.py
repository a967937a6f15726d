"""grid-registry's own settings, beside the kit's ServiceSettings."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from gridplus.kit.config import ConfigError, Env

# <repo>/data/demo/nyc in a checkout, /app/data/demo/nyc in the image: data/ sits beside services/.
DEFAULT_DEMO_DIR = Path(__file__).resolve().parents[3] / "data" / "demo" / "nyc"
DEFAULT_CARE_GROUPS = Path(__file__).resolve().parent / "seed" / "care_groups.csv"
ID_HASH_KEY = "GRIDPLUS_GRID_REGISTRY_ID_HASH_KEY"
_LABEL = b"gridplus.grid_registry/id-number-hash"


@dataclass(frozen=True)
class GridRegistryConfig:
    demo_dir: Path
    # How often a running server checks for a grid set imported by another process.
    refresh_seconds: float
    # The care groups (5类人群) and their visit intervals: the seed, or a city's own CSV.
    care_groups_file: Path = DEFAULT_CARE_GROUPS

    @classmethod
    def from_env(cls, env: Env | None = None) -> GridRegistryConfig:
        env = env or Env()
        return cls(
            demo_dir=Path(env.text("GRIDPLUS_GRID_REGISTRY_DEMO_DIR", str(DEFAULT_DEMO_DIR))),
            refresh_seconds=env.number("GRIDPLUS_GRID_REGISTRY_REFRESH_SECONDS", 0.5, minimum=0.05),
            care_groups_file=Path(
                env.text("GRIDPLUS_GRID_REGISTRY_CARE_GROUPS_FILE", str(DEFAULT_CARE_GROUPS))
            ),
        )


def id_hash_key(env: Env, var_dir: Path) -> bytes:
    """The key of the ID-number hash. It never rotates (a hash made with another key would not
    find the same person), so it is not one of the key ring's:
    - GRIDPLUS_GRID_REGISTRY_ID_HASH_KEY (base64, at least 32 bytes) when set;
    - else, with a single GRIDPLUS_PII_KEY (the chart's Secret), derived from it:
      HMAC-SHA256(that key, "gridplus.grid_registry/id-number-hash") — set the variable to
      that value (base64) before moving to a rotating GRIDPLUS_PII_KEYS ring;
    - with GRIDPLUS_PII_KEYS and no hash key: refused at start, rather than a hash that changes;
    - on a developer's machine, a random key kept in `var_dir/id-hash-key`, shared by the
      service and gridctl."""
    encoded = env.optional(ID_HASH_KEY)
    if encoded is None:
        single = env.optional("GRIDPLUS_PII_KEY")
        if single:
            return hmac.new(_decode("GRIDPLUS_PII_KEY", single), _LABEL, hashlib.sha256).digest()
        if env.optional("GRIDPLUS_PII_KEYS"):
            raise ConfigError(f"{ID_HASH_KEY} is needed beside a rotating GRIDPLUS_PII_KEYS")
        path = var_dir / "id-hash-key"
        if not path.exists():
            _create_key_file(path)
        encoded = path.read_text()
    key = _decode(ID_HASH_KEY, encoded)
    if len(key) < 32:
        raise ConfigError(f"{ID_HASH_KEY} must decode to at least 32 bytes")
    return key


def _decode(name: str, encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} must be base64") from None


def _create_key_file(path: Path) -> None:
    # Written whole under a temporary name and linked in: a process starting at the same time
    # either makes the file or reads the other's, never a half-written one.
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(base64.b64encode(secrets.token_bytes(32)).decode())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
