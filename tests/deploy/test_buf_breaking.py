"""The released gRPC contract (protos/releases/*.binpb) guards every department's client: `buf
breaking` (run by `make lint`) passes on main, fails on a copy of protos/ with a renumbered,
removed or retyped field or a renamed method, naming what broke, and lets a new field or method
through."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"
RELEASES = sorted((PROTOS / "releases").glob("*.binpb"))
BUF = Path(sys.executable).parent / "buf"
DISPATCH = "gridplus/dispatch/v1/dispatch.proto"


def breaking(protos: Path, image: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BUF), "breaking", "--against", str(image)],
        cwd=protos,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """protos/ as it is now, without the releases (a department's view of the source)."""
    target = tmp_path / "protos"
    shutil.copytree(PROTOS, target, ignore=shutil.ignore_patterns("releases"))
    return target


def edit(protos: Path, old: str, new: str) -> None:
    path = protos / DISPATCH
    text = path.read_text(encoding="utf-8")
    assert len(re.findall(old, text, re.M)) == 1, old
    path.write_text(re.sub(old, new, text, flags=re.M), encoding="utf-8")


def test_a_release_is_recorded_and_main_keeps_it() -> None:
    assert RELEASES, "no released contract in protos/releases/ (make release-protos)"
    for image in RELEASES:
        released = descriptor_pb2.FileDescriptorSet.FromString(image.read_bytes())
        files = {f.name: f for f in released.file}
        services = [s.name for s in files[DISPATCH].service]
        assert services == ["DispatchService"]
        result = breaking(PROTOS, image)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        # A renumbered field: old clients would read refusals from the wrong tag.
        (r"int32 refusals = 20;", "int32 refusals = 42;", 'field "20" with name "refusals"'),
        (r"^  int32 refusals = 20;\n", "", 'field "20" with name "refusals"'),
        (r"int32 refusals = 20;", "string refusals = 20;", 'changed type from "int32"'),
        (r"rpc ListOverdue\(", "rpc ListLate(", 'RPC "ListOverdue"'),
    ],
    ids=["renumbered", "removed", "retyped", "renamed-rpc"],
)
def test_a_breaking_change_is_caught(copy: Path, old: str, new: str, complaint: str) -> None:
    edit(copy, old, new)
    result = breaking(copy, RELEASES[-1])
    assert result.returncode != 0
    assert DISPATCH in result.stdout, result.stdout
    assert complaint in result.stdout, result.stdout


def test_an_added_field_and_method_are_compatible(copy: Path) -> None:
    edit(
        copy,
        r"^  int32 refusals = 20;\n",
        "  int32 refusals = 20;\n  // Added later.\n  string added_later = 99;\n",
    )
    edit(
        copy,
        r"^  rpc ListOverdue\(",
        "  // Added later.\n  rpc ListLater(ListOverdueRequest) returns (ListOverdueResponse);\n"
        "  rpc ListOverdue(",
    )
    result = breaking(copy, RELEASES[-1])
    assert result.returncode == 0, result.stdout + result.stderr
