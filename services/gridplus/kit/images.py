"""Photo intake shared by the services that take photos (petition, dispatch's visits): the type is
read from the content (JPEG, PNG, WebP only), the size is capped, and the image is re-encoded
upright without any metadata, so EXIF (and the GPS position in it) never reaches storage.
Photos are kept by the SHA-256 of the cleaned bytes."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from gridplus.kit.errors import FieldViolation, InvalidArgument

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


def check_bytes(size: int, limits: PhotoLimits, *, field: str = "photos") -> None:
    """An upload's size: something, and at most the limit."""
    if not size:
        raise InvalidArgument.single(field, "is empty")
    if size > limits.max_bytes:
        raise InvalidArgument.single(
            field, f"must be at most {limits.max_bytes} bytes (got {size})"
        )


def clean_photo(data: bytes, limits: PhotoLimits, *, field: str = "photos") -> CleanPhoto:
    """The photo without metadata, or InvalidArgument naming `field`."""
    check_bytes(len(data), limits, field=field)
    image = _open(data, field)
    media_type = MEDIA_TYPES[str(image.format)]
    cleaned = _reencode(image, str(image.format))
    return CleanPhoto(cleaned, media_type, hashlib.sha256(cleaned).hexdigest())


def _open(data: bytes, field: str) -> Image.Image:
    problem = "must be a JPEG, PNG or WebP image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=list(MEDIA_TYPES))
            probe.verify()  # structure and checksums, without decoding every pixel
            image = Image.open(io.BytesIO(data), formats=list(MEDIA_TYPES))
            if image.width * image.height > MAX_PIXELS:
                raise InvalidArgument([FieldViolation(field, "has too many pixels")])
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidArgument.single(field, problem) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidArgument.single(field, f"{problem}; this one is damaged") from None
    return image


def _reencode(image: Image.Image, image_format: str) -> bytes:
    # Turn the picture upright first: the orientation lives in the EXIF that is dropped.
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if image_format == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, optimize=True)
    elif image_format == "PNG":
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "WEBP", quality=90)
    return out.getvalue()
