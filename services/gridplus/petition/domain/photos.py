"""Photo rules: JPEG, PNG or WebP only (read from the content), the size and the count capped, and
what a cleaned photo is. The decoding and re-encoding without metadata (Pillow) is the kit's
(kit/images.py); photos are stored by the SHA-256 of the cleaned bytes."""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.kit.errors import InvalidArgument

# The photo rules shared with dispatch's visits live in the kit; petition adds its count rule.
from gridplus.kit.images import MAX_PIXELS, MEDIA_TYPES, CleanPhoto, PhotoLimits, check_bytes

__all__ = ["MAX_PIXELS", "MEDIA_TYPES", "CleanPhoto", "PhotoLimits", "check_bytes", "check_count"]


def check_count(count: int, limits: PhotoLimits, *, field: str = "photos") -> None:
    if count > limits.max_count:
        raise InvalidArgument.single(
            field, f"at most {limits.max_count} photos per petition (got {count})"
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
