"""The example clients are held to the project's own standard although `make lint` covers only
services/, tests/ and tools/: the Python one is ruff-clean and passes mypy --strict, the Node one
parses, and both are documented (a README per example with the settings they read)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PYTHON_CLIENT = EXAMPLES / "python" / "department_client.py"
NODE_CLIENT = EXAMPLES / "node" / "client.js"
BIN = Path(sys.executable).parent


def check(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_python_example_is_lint_and_type_clean() -> None:
    check(str(BIN / "ruff"), "check", str(PYTHON_CLIENT))
    check(str(BIN / "ruff"), "format", "--check", str(PYTHON_CLIENT))
    check(str(BIN / "mypy"), "--strict", "--no-incremental", str(PYTHON_CLIENT))


def test_the_node_example_parses_and_pins_its_packages() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is needed (Debian: apt-get install nodejs npm)")
    check("node", "--check", str(NODE_CLIENT))
    package = (EXAMPLES / "node" / "package.json").read_text(encoding="utf-8")
    versions = re.findall(r'"@grpc/[a-z-]+": "([^"]+)"', package)
    assert len(versions) == 2
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions), versions  # exact pins
    assert (EXAMPLES / "node" / "package-lock.json").exists()


@pytest.mark.parametrize("client", [PYTHON_CLIENT, NODE_CLIENT])
def test_each_setting_a_client_reads_is_in_its_readme(client: Path) -> None:
    readme = (client.parent / "README.md").read_text(encoding="utf-8")
    settings = set(re.findall(r"GRIDPLUS_[A-Z_]+", client.read_text(encoding="utf-8")))
    assert settings >= {"GRIDPLUS_TOKEN", "GRIDPLUS_DISPATCH_ADDR"}
    assert {s for s in settings if f"`{s}`" not in readme} == set()
