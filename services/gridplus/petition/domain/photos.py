"""Photo rules: JPEG, PNG or WebP only (read from the content), the size and the count capped, and
what a cleaned photo is. The decoding and re-encoding without metadata (Pillow) is in
storage/images.py; photos are stored by the SHA-256 of the cleaned bytes."""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.kit.errors import InvalidArgument

MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; larger is a decompression bomb


@dataclass(frozen=True)
class PhotoLimits:
    max_count: int = 9
    max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    media_type: str
    digest: str  # sha256 hex of `data`


def check_count(count: int, limits: PhotoLimits, *, field: str = "photos") -> None:
    if count > limits.max_count:
        raise InvalidArgument.single(
            field, f"at most {limits.max_count} photos per petition (got {count})"
        )


def check_bytes(size: int, limits: PhotoLimits, *, field: str = "photos") -> None:
    """An upload's size: something, and at most the limit."""
    if not size:
        raise InvalidArgument.single(field, "is empty")
    if size > limits.max_bytes:
        raise InvalidArgument.single(
            field, f"must be at most {limits.max_bytes} bytes (got {size})"
        )


@dataclass(frozen=True)
class PhotoRef:
    """A stored photo of a petition: taken by the reporter, or by the handler on resolving."""

    petition_id: str
    seq: int
    digest: str
    media_type: str
    size: int
    stage: str  # REPORT or RESOLUTION


REPORT = "REPORT"
RESOLUTION = "RESOLUTION"
