"""Grid outlines for the map, as one GeoJSON FeatureCollection per drawn area, kept per grid-set
version: outlines are public facts that change only with a new import, and a simplified,
rounded, gzipped collection is a few tens of kilobytes where the stored polygons are megabytes.

The cache is the process's (the console keeps no data of its own; this is a copy of what
grid-registry answers, dropped when grid-registry names a newer version)."""

from __future__ import annotations

import gzip
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from gridplus.api.grid.v1 import grid_pb2

# Six decimals are ~0.1 m, five ~1 m: more than a map at city or neighbourhood zoom can show,
# and the digits are most of the bytes.
DECIMALS = 5
MAX_ENTRIES = 128  # areas x versions: the city has ~80 areas with children


@dataclass(frozen=True)
class Outlines:
    """One area's outlines: the JSON document, gzipped once, and its grid-set version."""

    version: int
    body: bytes
    gzipped: bytes

    @property
    def etag(self) -> str:
        return f'"{self.version}-{len(self.body)}"'


def feature_collection(answer: grid_pb2.ListGridBoundariesResponse) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "grid_set_version": answer.grid_set_version,
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": boundary.grid.code,
                    "name": boundary.grid.name,
                    "level": boundary.grid.level,
                },
                "geometry": _rounded(json.loads(boundary.geojson)),
            }
            for boundary in answer.boundaries
        ],
    }


def _rounded(value: object) -> object:
    """Every coordinate of a GeoJSON geometry rounded to DECIMALS."""
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


class OutlineCache:
    """Outlines by (area, level, version), least recently used dropped beyond MAX_ENTRIES."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, int, int], Outlines] = OrderedDict()

    def get(
        self,
        key: tuple[str, int, int],
        load: Callable[[], grid_pb2.ListGridBoundariesResponse],
    ) -> Outlines:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        answer = load()
        body = json.dumps(feature_collection(answer), separators=(",", ":")).encode()
        outlines = Outlines(answer.grid_set_version, body, gzip.compress(body, 6))
        area, level, _ = key
        with self._lock:
            # Stored under the version that answered (a newer import may have landed meanwhile).
            self._entries[(area, level, answer.grid_set_version)] = outlines
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return outlines

    def __len__(self) -> int:
        return len(self._entries)
