"""Settings the petition service adds to the kit's ServiceSettings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from gridplus.kit.config import ConfigError, Env
from gridplus.kit.topology import PETITION_HTTP_PORT
from gridplus.petition.api.intake_limits import IntakeLimits
from gridplus.petition.domain.duplicates import DuplicateRule
from gridplus.petition.domain.photos import PhotoLimits
from gridplus.petition.domain.publication import PublishLevel
from gridplus.petition.storage.blobs import BlobStore, LocalBlobStore, S3BlobStore, S3Location


@dataclass(frozen=True)
class PetitionSettings:
    http_port: int
    photo_dir: Path  # the local blob store's directory
    photo_s3: S3Location | None  # set: photos live in this bucket (every replica shares it)
    photo_limits: PhotoLimits
    duplicate_rule: DuplicateRule
    open311_api_keys: frozenset[str]  # empty: Open311 POST is closed
    open311_jurisdiction: str
    open311_publish: PublishLevel  # what Open311 GET shows the public
    categories_cache_seconds: float
    max_watches: int  # concurrent WatchPetitions streams per replica
    # Submissions a minute per resident and per Open311 api key, service-wide (0: no limit);
    # each replica admits its share (REPLICAS: the most that run, as the chart passes it).
    intake_limits: IntakeLimits

    @classmethod
    def from_env(cls, env: Env, var_dir: Path) -> PetitionSettings:
        keys = env.optional("GRIDPLUS_PETITION_OPEN311_API_KEYS") or ""
        return cls(
            http_port=env.port("GRIDPLUS_PETITION_HTTP_PORT", PETITION_HTTP_PORT),
            photo_dir=Path(env.text("GRIDPLUS_PETITION_PHOTO_DIR", str(var_dir / "photos"))),
            photo_s3=_s3_location(env),
            photo_limits=PhotoLimits(
                max_count=env.integer("GRIDPLUS_PETITION_PHOTO_MAX_COUNT", 9, minimum=0),
                max_bytes=env.integer(
                    "GRIDPLUS_PETITION_PHOTO_MAX_BYTES", 10 * 1024 * 1024, minimum=1024
                ),
            ),
            duplicate_rule=DuplicateRule(
                radius_m=env.number("GRIDPLUS_PETITION_DUPLICATE_RADIUS_M", 50.0, minimum=0.0),
                window=timedelta(
                    hours=env.number("GRIDPLUS_PETITION_DUPLICATE_WINDOW_HOURS", 168.0, minimum=0.0)
                ),
            ),
            open311_api_keys=frozenset(k.strip() for k in keys.split(",") if k.strip()),
            open311_jurisdiction=env.text("GRIDPLUS_PETITION_OPEN311_JURISDICTION", "gridplus"),
            open311_publish=PublishLevel(
                env.choice(
                    "GRIDPLUS_PETITION_OPEN311_PUBLISH",
                    PublishLevel.OPTED_IN.value,
                    tuple(level.value for level in PublishLevel),
                )
            ),
            categories_cache_seconds=env.number(
                "GRIDPLUS_PETITION_CATEGORIES_CACHE_SECONDS", 300.0, minimum=0.0
            ),
            max_watches=env.integer("GRIDPLUS_PETITION_MAX_WATCHES", 8, minimum=1, maximum=24),
            intake_limits=IntakeLimits(
                per_resident=env.integer(
                    "GRIDPLUS_PETITION_SUBMITS_PER_MINUTE_PER_RESIDENT", 10, minimum=0
                ),
                per_api_key=env.integer(
                    "GRIDPLUS_PETITION_OPEN311_POSTS_PER_MINUTE_PER_KEY", 60, minimum=0
                ),
                replicas=env.integer("GRIDPLUS_PETITION_REPLICAS", 1, minimum=1, maximum=1000),
            ),
        )

    def blob_store(self) -> BlobStore:
        """The photo store the settings name: the bucket if one is set, else the directory."""
        if self.photo_s3 is not None:
            return S3BlobStore(self.photo_s3)
        return LocalBlobStore(self.photo_dir)


def _s3_location(env: Env) -> S3Location | None:
    store = env.choice("GRIDPLUS_PETITION_PHOTO_STORE", "local", ("local", "s3"))
    if store == "local":
        return None
    prefix = env.text("GRIDPLUS_PETITION_S3_PREFIX", "photos/")
    key_id = env.optional("GRIDPLUS_PETITION_S3_ACCESS_KEY_ID")
    secret = env.optional("GRIDPLUS_PETITION_S3_SECRET_ACCESS_KEY")
    if (key_id is None) != (secret is None):
        raise ConfigError(
            "GRIDPLUS_PETITION_S3_ACCESS_KEY_ID and GRIDPLUS_PETITION_S3_SECRET_ACCESS_KEY "
            "go together (neither: boto3's own chain, e.g. AWS_ACCESS_KEY_ID or a pod identity)"
        )
    return S3Location(
        bucket=env.text("GRIDPLUS_PETITION_S3_BUCKET"),  # required with the s3 store
        endpoint_url=env.optional("GRIDPLUS_PETITION_S3_ENDPOINT_URL"),
        region=env.optional("GRIDPLUS_PETITION_S3_REGION"),
        prefix=prefix if prefix.endswith("/") else prefix + "/",
        addressing_style=env.choice(
            "GRIDPLUS_PETITION_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual")
        ),
        timeout_seconds=env.number("GRIDPLUS_PETITION_S3_TIMEOUT_SECONDS", 5.0, minimum=0.1),
        access_key_id=key_id,
        secret_access_key=secret,
    )
