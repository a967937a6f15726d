"""Where photo bytes live, by content hash. A local directory by default; an S3 (or any object
store) adapter implements the same three methods."""

from __future__ import annotations

import os
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(Exception):
    pass


class BlobStore(ABC):
    @abstractmethod
    def put(self, digest: str, data: bytes) -> None:
        """Store `data` under `digest` (idempotent: the same digest is the same bytes)."""

    @abstractmethod
    def get(self, digest: str) -> bytes:
        """The bytes, or BlobNotFound."""

    @abstractmethod
    def exists(self, digest: str) -> bool: ...


class LocalBlobStore(BlobStore):
    """Files under `root/ab/cd/<digest>`, written atomically (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def put(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, digest: str) -> bytes:
        path = self._path(digest)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()

    def _path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise BlobNotFound(digest)  # never a path outside the store
        return self._root / digest[:2] / digest[2:4] / digest


class MemoryBlobStore(BlobStore):
    """For unit tests."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, digest: str, data: bytes) -> None:
        self.blobs.setdefault(digest, data)

    def get(self, digest: str) -> bytes:
        try:
            return self.blobs[digest]
        except KeyError:
            raise BlobNotFound(digest) from None

    def exists(self, digest: str) -> bool:
        return digest in self.blobs
