"""Where photo bytes live, by content hash: a local directory (one process, or a ReadWriteMany
volume) or an S3-compatible bucket (AWS S3, MinIO, Ceph RGW) that every replica shares."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gridplus.kit.errors import TransientError

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
# What an S3 call raises when the store cannot be reached or the connection breaks.
_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, OSError)


class BlobNotFound(Exception):
    pass


class BlobStoreUnavailable(TransientError):
    """The object store cannot be reached (or answers with a server error): UNAVAILABLE / 503,
    and the request that needed it stores nothing."""


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


@dataclass(frozen=True)
class S3Location:
    """Where the S3 store writes, and with which key pair. Without one, boto3's own chain
    applies: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a web identity, an instance role."""

    bucket: str
    endpoint_url: str | None = None  # None: AWS itself; MinIO, Ceph: their URL
    region: str | None = None
    prefix: str = "photos/"
    addressing_style: str = "auto"  # "path" for most MinIO and Ceph installs
    timeout_seconds: float = 5.0
    max_attempts: int = 3
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)


class S3BlobStore(BlobStore):
    """Objects `<prefix>ab/cd/<digest>` in one bucket. A PUT is atomic (an object is there whole
    or not at all) and checksummed; the same digest is the same bytes, so a PUT that finds the
    object already there writes nothing."""

    def __init__(self, location: S3Location, client: Any | None = None) -> None:
        self._location = location
        self._client = client if client is not None else s3_client(location)

    def put(self, digest: str, data: bytes) -> None:
        if self.exists(digest):
            return
        self._call(
            "put_object",
            Bucket=self._location.bucket,
            Key=self._key(digest),
            Body=data,
            # Every S3 dialect checks Content-MD5: a body cut short is refused, never stored.
            ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
        )

    def get(self, digest: str) -> bytes:
        answer = self._call("get_object", Bucket=self._location.bucket, Key=self._key(digest))
        try:
            return bytes(answer["Body"].read())
        except _TRANSPORT_ERRORS as error:
            raise BlobStoreUnavailable(f"photo store: reading {digest} failed: {error}") from None

    def exists(self, digest: str) -> bool:
        try:
            self._call("head_object", Bucket=self._location.bucket, Key=self._key(digest))
        except BlobNotFound:
            return False
        return True

    def problem(self) -> str | None:
        """What keeps the bucket from being used (missing, refused, unreachable), or None. For
        a warning at start: the store may come back later, and petitions without photos work."""
        try:
            self._client.head_bucket(Bucket=self._location.bucket)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            return f"bucket {self._location.bucket!r}: {code or 'refused'}"
        except _TRANSPORT_ERRORS as error:
            return f"bucket {self._location.bucket!r} unreachable: {error}"
        return None

    def _key(self, digest: str) -> str:
        if not _DIGEST.match(digest):
            raise BlobNotFound(digest)  # never a key outside the store's layout
        return f"{self._location.prefix}{digest[:2]}/{digest[2:4]}/{digest}"

    def _call(self, operation: str, **params: Any) -> Any:
        try:
            return getattr(self._client, operation)(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("NoSuchKey", "404", "NotFound") or status == 404:
                raise BlobNotFound(params.get("Key", "")) from None
            raise BlobStoreUnavailable(
                f"photo store: {operation} on bucket {self._location.bucket!r} failed: {code}"
            ) from None
        except _TRANSPORT_ERRORS as error:
            raise BlobStoreUnavailable(f"photo store unreachable: {error}") from None


def s3_client(location: S3Location) -> Any:
    """A boto3 S3 client with short timeouts and a few standard retries, so a store that is
    down answers the caller in seconds instead of hanging a request thread."""
    config = Config(
        connect_timeout=location.timeout_seconds,
        read_timeout=location.timeout_seconds,
        retries={"mode": "standard", "max_attempts": location.max_attempts},
        # One client serves every HTTP and gRPC worker thread of the process.
        max_pool_connections=32,
        s3={"addressing_style": location.addressing_style},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=location.endpoint_url,
        region_name=location.region,
        aws_access_key_id=location.access_key_id,
        aws_secret_access_key=location.secret_access_key,
        config=config,
    )
