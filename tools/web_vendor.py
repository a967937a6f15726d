"""Fetch the pinned browser libraries (tools/web-vendor.json) from the npm registry.

Each tarball is checked against its pinned sha512 integrity before anything is unpacked; only the
listed files (and the package's licence) land under services/gridplus/web/vendor/<name>/. A package
already unpacked at its pinned version is left alone, so `make install` stays quick.

    python -m tools.web_vendor            # fetch what is missing
    python -m tools.web_vendor --check    # exit 1 if anything is missing or stale
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "tools" / "web-vendor.json"
VENDOR = ROOT / "services" / "gridplus" / "web" / "vendor"
REGISTRY = "https://registry.npmjs.org"
STAMP = ".version"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str
    files: tuple[str, ...]

    @property
    def tarball_url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    @property
    def target(self) -> Path:
        return VENDOR / self.name


def load_manifest(path: Path = MANIFEST) -> list[Package]:
    data = json.loads(path.read_text())
    return [
        Package(p["name"], p["version"], p["integrity"], tuple(p["files"]))
        for p in data["packages"]
    ]


def is_current(package: Package) -> bool:
    stamp = package.target / STAMP
    return stamp.exists() and stamp.read_text().strip() == package.integrity


def check_integrity(package: Package, payload: bytes) -> None:
    algorithm, _, expected = package.integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, payload).digest()).decode()
    if digest != expected:
        raise SystemExit(
            f"web_vendor: {package.name}@{package.version} does not match its pinned integrity "
            f"({algorithm} {digest} != {expected}); refusing to unpack it"
        )


def unpack(package: Package, payload: bytes) -> int:
    package.target.mkdir(parents=True, exist_ok=True)
    written = 0
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as archive:
        for member in archive.getmembers():
            # npm tarballs put everything under package/.
            relative = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if not member.isfile() or not any(fnmatch.fnmatch(relative, f) for f in package.files):
                continue
            destination = (package.target / relative).resolve()
            if package.target.resolve() not in destination.parents:
                raise SystemExit(f"web_vendor: {member.name} would land outside {package.target}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            destination.write_bytes(source.read())
            written += 1
    (package.target / STAMP).write_text(package.integrity + "\n")
    return written


def fetch(package: Package) -> None:
    with urllib.request.urlopen(package.tarball_url, timeout=60) as response:
        payload = response.read()
    check_integrity(package, payload)
    count = unpack(package, payload)
    print(f"web_vendor: {package.name}@{package.version}: {count} files", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    args = parser.parse_args(argv)
    missing = [p for p in load_manifest() if not is_current(p)]
    if args.check:
        for package in missing:
            print(f"web_vendor: missing {package.name}@{package.version}", file=sys.stderr)
        return 1 if missing else 0
    for package in missing:
        fetch(package)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
