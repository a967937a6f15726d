"""Photo intake: the kit's (`gridplus.kit.images`, shared with dispatch's visit photos): the type
is read from the content (JPEG, PNG, WebP only) and the image is re-encoded upright without any
metadata, so EXIF (and the GPS position in it) never reaches storage."""

from __future__ import annotations

from gridplus.kit.images import clean_photo

__all__ = ["clean_photo"]
