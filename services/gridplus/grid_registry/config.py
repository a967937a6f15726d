"""grid-registry's own settings, beside the kit's ServiceSettings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gridplus.kit.config import Env

# <repo>/data/demo/nyc in a checkout, /app/data/demo/nyc in the image: data/ sits beside services/.
DEFAULT_DEMO_DIR = Path(__file__).resolve().parents[3] / "data" / "demo" / "nyc"


@dataclass(frozen=True)
class GridRegistryConfig:
    demo_dir: Path
    # How often a running server checks for a grid set imported by another process.
    refresh_seconds: float

    @classmethod
    def from_env(cls, env: Env | None = None) -> GridRegistryConfig:
        env = env or Env()
        return cls(
            demo_dir=Path(env.text("GRIDPLUS_GRID_REGISTRY_DEMO_DIR", str(DEFAULT_DEMO_DIR))),
            refresh_seconds=env.number("GRIDPLUS_GRID_REGISTRY_REFRESH_SECONDS", 0.5, minimum=0.05),
        )
