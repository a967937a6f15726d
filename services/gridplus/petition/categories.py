"""The category taxonomy, as Open311 lists it as `services`. Grid-registry owns it; this service
reads it over gRPC (ListCategories) and caches it. When grid-registry cannot be reached, the
last good copy is served; with none yet, requests fail clearly (503), never with an empty list.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import grpc

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.kit.errors import TransientError

log = logging.getLogger(__name__)

CALL_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    top_level_code: str
    parent_code: str


class CategorySource(ABC):
    @abstractmethod
    def categories(self) -> list[Category]:
        """The whole taxonomy; TransientError when it cannot be had."""

    def get(self, code: str) -> Category | None:
        return next((c for c in self.categories() if c.code == code), None)


class StaticCategories(CategorySource):
    """A fixed list (tests, demos)."""

    def __init__(self, categories: list[Category]) -> None:
        self._categories = list(categories)

    def categories(self) -> list[Category]:
        return list(self._categories)


class RegistryCategories(CategorySource):
    """grid-registry's ListCategories, cached for `ttl_seconds`."""

    def __init__(self, channel: grpc.Channel, *, ttl_seconds: float = 300.0) -> None:
        self._stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._cached: list[Category] | None = None
        self._fetched_at = 0.0

    def categories(self) -> list[Category]:
        with self._lock:
            fresh = self._cached is not None and time.monotonic() - self._fetched_at < self._ttl
            if fresh:
                assert self._cached is not None
                return self._cached
            try:
                response = self._stub.ListCategories(
                    grid_pb2.ListCategoriesRequest(), timeout=CALL_TIMEOUT_SECONDS
                )
            except grpc.RpcError as exc:
                return self._fallback(exc)
            self._cached = [_category(c) for c in response.categories]
            self._fetched_at = time.monotonic()
            return self._cached

    def _fallback(self, error: grpc.RpcError) -> list[Category]:
        code = error.code() if isinstance(error, grpc.Call) else None
        if self._cached is not None:
            log.warning(
                "grid-registry unreachable; serving the cached category taxonomy",
                extra={"grpc_code": str(code)},
            )
            return self._cached
        raise TransientError(
            "the category taxonomy is unavailable: grid-registry did not answer"
            f" ListCategories ({code})"
        ) from None


def _category(message: grid_pb2.Category) -> Category:
    return Category(
        code=message.code,
        name_zh=message.name_zh,
        name_en=message.name_en,
        top_level_code=message.top_level_code or message.code,
        parent_code=message.parent_code,
    )
