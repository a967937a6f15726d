"""Which photo store the settings choose: the local directory by default (the local stack), an
S3-compatible bucket with GRIDPLUS_PETITION_PHOTO_STORE=s3 (a bucket is then required)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridplus.kit.config import ConfigError, Env
from gridplus.petition.config import PetitionSettings
from gridplus.petition.storage.blobs import LocalBlobStore, S3BlobStore, S3Location


def settings(tmp_path: Path, **environ: str) -> PetitionSettings:
    return PetitionSettings.from_env(Env(environ), tmp_path)


def test_the_local_directory_is_the_default(tmp_path: Path) -> None:
    chosen = settings(tmp_path)
    assert chosen.photo_s3 is None
    assert chosen.photo_dir == tmp_path / "photos"
    assert isinstance(chosen.blob_store(), LocalBlobStore)


def test_the_s3_store_reads_bucket_endpoint_region_and_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    chosen = settings(
        tmp_path,
        GRIDPLUS_PETITION_PHOTO_STORE="s3",
        GRIDPLUS_PETITION_S3_BUCKET="city-photos",
        GRIDPLUS_PETITION_S3_ENDPOINT_URL="http://minio.storage:9000",
        GRIDPLUS_PETITION_S3_REGION="cn-north-1",
        GRIDPLUS_PETITION_S3_PREFIX="petition",
        GRIDPLUS_PETITION_S3_ADDRESSING_STYLE="path",
    )
    assert chosen.photo_s3 == S3Location(
        bucket="city-photos",
        endpoint_url="http://minio.storage:9000",
        region="cn-north-1",
        prefix="petition/",
        addressing_style="path",
    )
    assert isinstance(chosen.blob_store(), S3BlobStore)  # builds a client, connects to nothing


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"GRIDPLUS_PETITION_PHOTO_STORE": "s3"}, "GRIDPLUS_PETITION_S3_BUCKET"),
        ({"GRIDPLUS_PETITION_PHOTO_STORE": "nfs"}, "GRIDPLUS_PETITION_PHOTO_STORE"),
        (
            {
                "GRIDPLUS_PETITION_PHOTO_STORE": "s3",
                "GRIDPLUS_PETITION_S3_BUCKET": "b",
                "GRIDPLUS_PETITION_S3_ADDRESSING_STYLE": "dns",
            },
            "GRIDPLUS_PETITION_S3_ADDRESSING_STYLE",
        ),
        (
            {
                "GRIDPLUS_PETITION_PHOTO_STORE": "s3",
                "GRIDPLUS_PETITION_S3_BUCKET": "b",
                "GRIDPLUS_PETITION_S3_ACCESS_KEY_ID": "only-half",
            },
            "GRIDPLUS_PETITION_S3_SECRET_ACCESS_KEY",
        ),
    ],
)
def test_a_wrong_store_setting_stops_the_start_naming_it(
    tmp_path: Path, environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        settings(tmp_path, **environ)


def test_a_key_pair_from_the_settings_wins_and_is_never_shown(tmp_path: Path) -> None:
    chosen = settings(
        tmp_path,
        GRIDPLUS_PETITION_PHOTO_STORE="s3",
        GRIDPLUS_PETITION_S3_BUCKET="city-photos",
        GRIDPLUS_PETITION_S3_ACCESS_KEY_ID="AKIDEXAMPLE",
        GRIDPLUS_PETITION_S3_SECRET_ACCESS_KEY="wJalrXUtnFEMI-secret",
    )
    assert chosen.photo_s3 is not None
    assert chosen.photo_s3.access_key_id == "AKIDEXAMPLE"
    assert chosen.photo_s3.secret_access_key == "wJalrXUtnFEMI-secret"
    assert "secret" not in repr(chosen) and "AKIDEXAMPLE" not in repr(chosen)
    credentials = chosen.blob_store()._client._request_signer._credentials  # type: ignore[attr-defined]
    assert credentials.access_key == "AKIDEXAMPLE"
