"""The boundaries DESIGN.md draws, checked on the source: no service reaches into another's code
or storage, domain code does no I/O, and the kit knows no service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "services" / "gridplus"
SERVICES = ["grid_registry", "petition", "dispatch", "notification", "evaluation"]
IO_MODULES = ("sqlalchemy", "grpc", "kafka", "flask", "requests", "psycopg", "socket", "waitress")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def sources(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.py"))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = [f"gridplus.{other}" for other in SERVICES if other != service]
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sources(PACKAGE / service)
        for name in imports_of(path)
        if any(name == other or name.startswith(other + ".") for other in others)
    ]
    assert offenders == []


@pytest.mark.parametrize("service", SERVICES)
def test_domain_code_does_no_io(service: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sources(PACKAGE / service / "domain")
        for name in imports_of(path)
        if name.split(".")[0] in IO_MODULES
    ]
    assert offenders == []


def test_the_kit_knows_no_service() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sources(PACKAGE / "kit")
        for name in imports_of(path)
        if any(name.startswith(f"gridplus.{service}") for service in SERVICES)
    ]
    assert offenders == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_anatomy(service: str) -> None:
    root = PACKAGE / service
    for part in ("__main__.py", "domain", "storage/models.py", "api/grpc.py"):
        assert (root / part).exists(), f"{service} lacks {part}"
    # Use cases live in `handlers`: one module, or a package once a service has many of them.
    assert (root / "handlers.py").exists() or (root / "handlers" / "__init__.py").exists(), (
        f"{service} lacks handlers"
    )
    assert list((root / "storage" / "alembic" / "versions").glob("0001_*.py"))
