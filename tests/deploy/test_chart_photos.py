"""The chart and petition's photo store: more than one petition pod (replicas > 1 or the HPA)
with photos in each pod's own directory is refused; an S3-compatible bucket or a ReadWriteMany
claim mounted at settings.photoDir is accepted; the S3 settings and key pair reach the pod as
petition reads them, and its NetworkPolicy lets it reach the bucket."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.test_chart_checks import (
    CHART,
    HELM,
    RELEASE,
    docs_of,
    helm,  # noqa: F401  (the session fixture that installs helm)
    rendered,
)

DEFAULT = CHART / "ci" / "default-values.yaml"
S3 = (
    "--set", "services.petition.settings.photoStore=s3",
    "--set", "services.petition.settings.s3Bucket=city-photos",
)  # fmt: skip

HALF_A_KEY_PAIR = (
    "--set", "services.petition.secretSettings.s3AccessKeyId.name=photo-store",
    "--set", "services.petition.secretSettings.s3AccessKeyId.key=id",
)  # fmt: skip


def helm_template(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def claim_values(tmp_path: Path, *, mount_path: str, claim: bool = True, **mount: Any) -> str:
    """A values file mounting a volume (a claim, or an emptyDir) in petition's pods."""
    volume = (
        "persistentVolumeClaim: {claimName: gridplus-petition-photos}" if claim else "emptyDir: {}"
    )
    extra = "".join(f", {key}: {str(value).lower()}" for key, value in mount.items())
    path = tmp_path / "photos-values.yaml"
    path.write_text(
        "services:\n"
        "  petition:\n"
        "    replicas: 2\n"
        "    settings: {photoDir: /app/photos}\n"
        f"    extraVolumes: [{{name: photos, {volume}}}]\n"
        f"    extraVolumeMounts: [{{name: photos, mountPath: {mount_path}{extra}}}]\n"
    )
    return str(path)


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (("--set", "services.petition.replicas=2"), "2 replicas"),
        (("--set", "default.replicas=3"), "3 replicas"),
        (("--set", "services.petition.autoscaling.enabled=true"), "the HPA"),
        (("--set", "default.autoscaling.enabled=true"), "the HPA"),
    ],
)
def test_several_petition_pods_with_photos_in_their_own_directory_are_refused(
    flags: tuple[str, ...], said: str
) -> None:
    done = helm_template(*flags)
    assert done.returncode != 0
    assert f"services.petition: {said} keeping photos in each pod's own directory" in done.stderr
    assert "photoStore=s3" in done.stderr and "ReadWriteMany" in done.stderr


@pytest.mark.parametrize(
    "flags",
    [
        (),  # one replica keeps its own directory
        ("--set", "services.petition.replicas=2", *S3),
        ("--set", "default.autoscaling.enabled=true", *S3),
        ("--set", "default.replicas=2", "--set", "services.petition.replicas=1"),
        ("--set", "default.replicas=2", "--set", "services.petition.enabled=false"),
    ],
)
def test_one_pod_or_a_bucket_is_accepted(flags: tuple[str, ...]) -> None:
    done = helm_template(*flags)
    assert done.returncode == 0, done.stderr


def test_a_read_write_many_claim_at_the_photo_dir_is_accepted(tmp_path: Path) -> None:
    done = helm_template("-f", claim_values(tmp_path, mount_path="/app/photos/"))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "values",
    [
        {"mount_path": "/app/elsewhere"},  # the claim is not where the photos go
        {"mount_path": "/app/photos", "claim": False},  # an emptyDir is still the pod's own
        {"mount_path": "/app/photos", "readOnly": True},  # nothing could be uploaded
    ],
)
def test_a_volume_that_does_not_share_the_photo_dir_is_refused(
    tmp_path: Path, values: dict[str, Any]
) -> None:
    done = helm_template("-f", claim_values(tmp_path, **values))
    assert done.returncode != 0
    assert "services.petition: 2 replicas keeping photos" in done.stderr


@pytest.mark.parametrize(
    ("flags", "where"),
    [
        (("--set", "services.petition.settings.photoStore=s3"), "s3Bucket"),
        (("--set", "services.petition.settings.photoStore=nfs"), "photoStore"),
        (
            (*S3, "--set", "services.petition.settings.s3AddressingStyle=dns"),
            "s3AddressingStyle",
        ),
        ((*S3, *HALF_A_KEY_PAIR), "s3SecretAccessKey"),
    ],
)
def test_bad_photo_store_values_fail_with_a_schema_message(
    flags: tuple[str, ...], where: str
) -> None:
    done = helm_template(*flags)
    assert done.returncode != 0
    assert "values don't meet the specifications of the schema" in done.stderr
    assert "/services/petition" in done.stderr and where in done.stderr, done.stderr


def petition_pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    [deployment] = [
        d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"] == f"{RELEASE}-petition"
    ]
    return dict(deployment["spec"]["template"]["spec"])


def egress_ports(docs: list[dict[str, Any]], name: str) -> set[int]:
    [policy] = [
        d
        for d in docs
        if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == f"{RELEASE}-{name}"
    ]
    return {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}


def test_the_everything_values_put_photos_in_a_bucket_with_a_key_pair_from_a_secret() -> None:
    docs = docs_of(rendered(CHART / "ci" / "everything-values.yaml"))
    [container] = petition_pod(docs)["containers"]
    env = {e["name"]: e for e in container["env"]}
    photo_env = {n: e.get("value") for n, e in env.items() if "_S3_" in n or "PHOTO" in n}
    assert photo_env == {
        "GRIDPLUS_PETITION_PHOTO_STORE": "s3",
        "GRIDPLUS_PETITION_S3_BUCKET": "gridplus-photos",
        "GRIDPLUS_PETITION_S3_ENDPOINT_URL": "http://minio.storage.svc.cluster.local:9000",
        "GRIDPLUS_PETITION_S3_REGION": "us-east-1",
        "GRIDPLUS_PETITION_S3_PREFIX": "petition/",
        "GRIDPLUS_PETITION_S3_ADDRESSING_STYLE": "path",
        "GRIDPLUS_PETITION_S3_TIMEOUT_SECONDS": "3",
        "GRIDPLUS_PETITION_S3_ACCESS_KEY_ID": None,  # from the Secret:
        "GRIDPLUS_PETITION_S3_SECRET_ACCESS_KEY": None,
    }
    assert env["GRIDPLUS_PETITION_S3_ACCESS_KEY_ID"]["valueFrom"] == {
        "secretKeyRef": {"name": "gridplus-photo-store", "key": "access-key-id"}
    }
    assert env["GRIDPLUS_PETITION_S3_SECRET_ACCESS_KEY"]["valueFrom"] == {
        "secretKeyRef": {"name": "gridplus-photo-store", "key": "secret-access-key"}
    }
    assert {443, 9000} <= egress_ports(docs, "petition")
    assert not {443, 9000} & egress_ports(docs, "dispatch")


def test_the_local_store_adds_no_photo_settings_and_no_bucket_egress() -> None:
    docs = docs_of(rendered(DEFAULT))
    [container] = petition_pod(docs)["containers"]
    assert not [e for e in container["env"] if "_S3_" in e["name"] or "PHOTO" in e["name"]]
    assert not {443, 9000} & egress_ports(docs, "petition")
