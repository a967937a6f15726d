"""Masking, the key ring, distances and photo cleaning, without I/O."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridplus.kit.errors import InvalidArgument
from gridplus.kit.masking import mask_address, mask_email, mask_name, mask_phone
from gridplus.kit.pii import KeyRing, UnreadableCiphertext
from gridplus.petition.domain.duplicates import bounding_box, distance_m
from gridplus.petition.domain.photos import PhotoLimits
from gridplus.petition.domain.values import GeoPoint
from gridplus.petition.storage.images import clean_photo


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812341234", "138****1234"), ("010-1234", "010*1234"), ("123", "***"), ("", "")],
)
def test_phones_keep_the_prefix_and_the_last_four_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_names_emails_and_addresses_are_masked() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("A") == "A*"
    assert mask_email("zhang.san@example.org") == "z***@example.org"
    assert mask_address("海淀区中关村大街27号") == "海淀区中关***"
    assert mask_address("") == ""


def test_a_value_opens_only_in_its_context_and_with_its_key() -> None:
    ring = KeyRing([("k1", bytes(32))])
    sealed = ring.seal("13812341234", context="p-1/phone")
    assert b"13812341234" not in sealed.blob
    assert ring.open(sealed, context="p-1/phone") == "13812341234"
    with pytest.raises(UnreadableCiphertext):
        ring.open(sealed, context="p-2/phone")
    with pytest.raises(UnreadableCiphertext):
        KeyRing([("k2", bytes(32))]).open(sealed, context="p-1/phone")
    assert ring.seal("x", context="c").blob != ring.seal("x", context="c").blob  # fresh nonces


def test_distances_and_the_box_that_holds_a_radius() -> None:
    a, b = GeoPoint(39.9, 116.4), GeoPoint(39.9003, 116.4)
    assert distance_m(a, b) == pytest.approx(33.4, abs=0.5)
    box = bounding_box(a, 50)
    assert box.south < 39.9 < box.north and box.west < 116.4 < box.east
    east = GeoPoint(39.9, box.east)
    assert distance_m(a, east) == pytest.approx(50, abs=0.5)


def test_a_photo_is_cleaned_and_its_type_read_from_content() -> None:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Maker"
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif)
    photo = clean_photo(out.getvalue(), PhotoLimits())
    assert photo.media_type == "image/jpeg" and b"Maker" not in photo.data
    with pytest.raises(InvalidArgument) as bad:
        clean_photo(b"<svg/>", PhotoLimits(), field="photos[3]")
    assert bad.value.violations[0].field == "photos[3]"
