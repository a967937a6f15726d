"""Settings the petition service adds to the kit's ServiceSettings."""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.kit.config import Env
from gridplus.kit.topology import PETITION_HTTP_PORT


@dataclass(frozen=True)
class PetitionSettings:
    http_port: int

    @classmethod
    def from_env(cls, env: Env) -> PetitionSettings:
        return cls(http_port=env.port("GRIDPLUS_PETITION_HTTP_PORT", PETITION_HTTP_PORT))
