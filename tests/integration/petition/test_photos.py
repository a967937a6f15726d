"""Photos: type from content, size and count capped, EXIF (GPS included) stripped before
storage, stored by content hash, served only to those who may see the petition. A bad upload
gets a clear 4xx and stores nothing."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from flask.testing import FlaskClient
from PIL import ExifTags, Image

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.kit.auth import Role
from gridplus.petition.api.http import create_app
from gridplus.petition.domain.photos import PhotoLimits
from gridplus.petition.handlers.deps import Deps
from tests.integration.petition.conftest import (
    JWT,
    T0,
    Store,
    as_caller,
    assigned,
    bearer,
    deliver,
)

pytestmark = pytest.mark.integration

ADMIN = as_caller("admin-1", Role.ADMIN)


def gps_jpeg() -> bytes:
    """A real JPEG carrying camera and GPS EXIF (39°54'N 116°23'E), as a phone writes it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 29.0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it has GPS
    return data


def image(fmt: str, size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def post(client: FlaskClient, photos: list[tuple[bytes, str]], **fields: Any) -> Any:
    data: dict[str, Any] = {"title": "乱堆垃圾", "lat": "39.9", "lon": "116.4", **fields}
    data["photos"] = [(io.BytesIO(content), name) for content, name in photos]
    return client.post(
        "/api/v1/petitions",
        data=data,
        content_type="multipart/form-data",
        headers=bearer("resident-a"),
    )


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_gps_jpeg_is_stored_and_served_without_any_exif(
    client: FlaskClient, store: Store, tmp_path: Path, stub
) -> None:
    original = gps_jpeg()
    response = post(
        client, [(original, "IMG_0001.jpg"), (image("PNG"), "b.png"), (image("WEBP"), "c.webp")]
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    location = response.headers["Location"]

    shown = client.get(location, headers=bearer("resident-a")).get_json()
    assert [(p["seq"], p["media_type"], p["stage"]) for p in shown["photos"]] == [
        (1, "image/jpeg", "REPORT"),
        (2, "image/png", "REPORT"),
        (3, "image/webp", "REPORT"),
    ]
    served = client.get(shown["photos"][0]["url"], headers=bearer("resident-a"))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    cleaned = served.get_data()
    assert not Image.open(io.BytesIO(cleaned)).getexif()
    assert b"Exif" not in cleaned and b"PhoneMaker" not in cleaned
    assert Image.open(io.BytesIO(cleaned)).size == (64, 48)
    [on_disk] = [p for p in stored_files(tmp_path / "blobs") if p.read_bytes() == cleaned]
    assert on_disk.name == hashlib.sha256(cleaned).hexdigest()  # stored by content hash
    assert all(b"Exif" not in p.read_bytes() for p in stored_files(tmp_path / "blobs"))

    # Only those who may see the petition see its photos.
    assert client.get(shown["photos"][0]["url"], headers=bearer("resident-b")).status_code == 404
    photo = stub.GetPetitionPhoto(S.GetPetitionPhotoRequest(id=shown["id"], seq=1), metadata=ADMIN)
    assert photo.content == cleaned and photo.photo.digest == on_disk.name
    with pytest.raises(grpc.RpcError) as outsider:
        stub.GetPetitionPhoto(
            S.GetPetitionPhotoRequest(id=shown["id"], seq=1),
            metadata=as_caller("w", Role.GRID_WORKER, grids=("G9",)),
        )
    assert outsider.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("photos", "field"),
    [
        ([(b"GIF89a" + b"\0" * 100, "x.gif")], "photos[0]"),  # a type we do not take
        ([(b"%PDF-1.7 not an image", "x.jpg")], "photos[0]"),  # the name lies
        ([(image("PNG"), "a.png"), (gps_jpeg()[:200], "cut.jpg")], "photos[1]"),  # truncated
        ([(b"", "empty.jpg")], "photos[0]"),
        ([(image("PNG"), f"{n}.png") for n in range(10)], "photos"),  # more than 9
    ],
)
def test_a_bad_upload_is_refused_naming_it_and_stores_nothing(
    client: FlaskClient, store: Store, tmp_path: Path, photos: list[tuple[bytes, str]], field: str
) -> None:
    response = post(client, photos)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert store.petition_count() == 0
    assert stored_files(tmp_path / "blobs") == []


def test_size_limits_are_configurable_and_bodies_too_large_are_413(
    store: Store, tmp_path: Path
) -> None:
    limits = PhotoLimits(max_count=2, max_bytes=2048)
    deps = Deps(
        outbox=store.outbox,
        clock=store.clock,
        keys=store.deps.keys,
        blobs=store.deps.blobs,
        photo_limits=limits,
    )
    client = create_app(sessions=store.sessions, deps=deps, jwt=JWT).test_client()
    big = gps_jpeg() + b"\0" * 4096  # a valid image, over the 2 KiB limit
    too_big = post(client, [(big, "big.png")])
    assert too_big.status_code == 400
    assert "at most 2048 bytes" in too_big.get_json()["errors"][0]["detail"]
    huge = post(client, [(b"\0" * 70_000, "a.png") for _ in range(3)])  # past the body cap
    assert huge.status_code == 413 and huge.mimetype == "application/problem+json"
    bad_json = client.post(
        "/api/v1/petitions",
        data=b'{"title": "x", "lat": 1, "lon":',
        content_type="application/json",
        headers=bearer("resident-a"),
    )
    assert bad_json.status_code == 400 and bad_json.get_json()["errors"][0]["field"] == "body"
    bad_form = post(client, [], lat="north")
    assert [e["field"] for e in bad_form.get_json()["errors"]] == ["lat"]
    assert store.petition_count() == 0
    assert stored_files(tmp_path / "blobs") == []


def test_a_handler_resolves_with_photos(client: FlaskClient, store: Store, stub) -> None:
    petition_id = post(client, []).get_json()["id"]
    deliver(store, assigned(petition_id, T0 + timedelta(hours=4)), petition_id)
    stub.VerifyPetition(S.VerifyPetitionRequest(request_id="v", id=petition_id), metadata=ADMIN)
    resolved = stub.ResolvePetition(
        S.ResolvePetitionRequest(
            request_id="r", id=petition_id, note="cleared", photos=[gps_jpeg()]
        ),
        metadata=ADMIN,
    ).petition
    assert [(p.seq, p.stage) for p in resolved.photos] == [(1, "RESOLUTION")]
    with pytest.raises(grpc.RpcError) as bad:
        stub.ResolvePetition(
            S.ResolvePetitionRequest(request_id="r2", id=petition_id, note="x", photos=[b"nope"]),
            metadata=ADMIN,
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_hotline_clerk_submits_with_the_callers_contact_and_photos(
    store: Store, stub, tmp_path: Path
) -> None:
    clerk = as_caller("clerk-1", Role.DEPARTMENT_STAFF, department="hotline")
    request = S.SubmitPetitionRequest(
        request_id="call-77",
        title="路灯不亮",
        location={"lat": 39.9, "lon": 116.4},
        contact=S.PetitionContact(name="王五", phone="13900001111"),
        photos=[gps_jpeg()],
    )
    shown = stub.SubmitPetition(request, metadata=clerk).petition
    assert shown.source == S.PETITION_SOURCE_HOTLINE
    assert shown.reporter_contact.phone == "13900001111"  # the clerk took it down
    inspector = as_caller("i-1", Role.INSPECTOR)
    seen = stub.GetPetition(S.GetPetitionRequest(id=shown.id), metadata=inspector).petition
    assert (seen.reporter_contact.phone, seen.reporter_contact.masked) == ("139****1111", True)
    assert [(p.seq, p.stage) for p in shown.photos] == [(1, "REPORT")]
    assert stub.SubmitPetition(request, metadata=clerk).petition.id == shown.id  # retried: once
    assert len(stored_files(tmp_path / "blobs")) == 1

    bad = S.SubmitPetitionRequest(
        request_id="call-78",
        title="x",
        location={"lat": 39.9, "lon": 116.4},
        contact=S.PetitionContact(phone="call me"),
        photos=[image("PNG")] * 10,
    )
    with pytest.raises(grpc.RpcError) as refused:
        stub.SubmitPetition(bad, metadata=clerk)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert store.petition_count() == 1
