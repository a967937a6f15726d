"""Photo intake: the type is read from the content (JPEG, PNG, WebP only) and the image is
re-encoded upright without any metadata, so EXIF (and the GPS position in it) never reaches
storage. The rules (types, limits) are the domain's (domain/photos.py)."""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.petition.domain.photos import (
    MAX_PIXELS,
    MEDIA_TYPES,
    CleanPhoto,
    PhotoLimits,
    check_bytes,
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
