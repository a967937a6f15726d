"""The boundaries DESIGN.md draws, checked on the source, each rule shown failing on a planted
violation so that a rule that checks nothing is noticed:

- no service reaches into another's code; the kit knows no service;
- domain code reaches no I/O library, directly or through anything it imports (the kit included),
  and opens no file or socket;
- handlers do no SQL: they call storage, which owns every query;
- every service has the same anatomy (the modules allowed at its top level), and no module grows
  past 400 lines (generated code aside);
- the staff console is a web workload, not a sixth service: it owns no data, so it has no
  storage/ or messaging/, imports no service's code and no database or broker library; it reaches
  the services through their generated stubs only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
SERVICES = ["grid_registry", "petition", "dispatch", "notification", "evaluation"]
WEB_WORKLOADS = ["console"]
# What a stateless web workload must not reach: the services' own code, a database, the broker.
DATA_LIBRARIES = ("sqlalchemy", "alembic", "psycopg", "kafka", "gridplus.kit.db",
                  "gridplus.kit.outbox", "gridplus.kit.consumer", "gridplus.kit.kafka")  # fmt: skip
IO_LIBRARIES = frozenset(
    {
        "sqlalchemy", "alembic", "grpc", "grpc_health", "grpc_reflection", "grpc_status",
        "kafka", "flask", "werkzeug", "waitress", "requests", "urllib", "http", "psycopg",
        "socket", "ssl", "smtplib", "subprocess", "shutil", "tempfile", "google.protobuf",
        "gridplus.api", "prometheus_client", "opentelemetry",
    }
)  # fmt: skip
FILE_CALLS = frozenset(
    {"open", "read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob", "rglob"}
)
SESSION_CALLS = frozenset(
    {"execute", "scalars", "scalar", "add", "add_all", "get", "query", "delete", "merge", "flush"}
)
# The anatomy every service shares; data folders (`seed/`, `training/`) and notification's
# outgoing-channel adapters (`channels/`) where a service has them.
ALLOWED_TOP_LEVEL = frozenset(
    {
        "__init__.py", "__main__.py", "config.py", "metrics.py", "domain", "handlers", "ports.py",
        "clients.py", "storage", "api", "messaging", "jobs", "cli.py", "seed", "training",
        "README.md", "__pycache__",
    }
)  # fmt: skip
EXTRA_TOP_LEVEL = {"notification": frozenset({"channels"})}
REQUIRED = ("__main__.py", "config.py", "domain", "handlers/__init__.py", "storage/models.py")
MAX_MODULE_LINES = 400
GENERATED = ("gridplus/api/",)


# ---- reading the code ---------------------------------------------------------------------------


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path, *, runtime_only: bool = False) -> set[str]:
    """Modules `path` imports, relative imports resolved. `runtime_only` leaves out imports
    under `if TYPE_CHECKING:` (types, not behaviour)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(root, path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped |= {id(n) for n in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from package import module` imports the module too.
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def module_files(root: Path) -> dict[str, Path]:
    return {
        module_name(root, path): path
        for path in sorted(root.rglob("*.py"))
        if not any(part in str(path) for part in GENERATED)
    }


def import_graph(root: Path) -> dict[str, set[str]]:
    files = module_files(root)
    return {
        name: {imported for imported in imports_of(root, path, runtime_only=True)}
        for name, path in files.items()
    }


def reaches(graph: dict[str, set[str]], start: str) -> dict[str, list[str]]:
    """Every module `start` reaches (runtime imports, transitively) with one path to it."""
    paths: dict[str, list[str]] = {start: [start]}
    todo = [start]
    while todo:
        current = todo.pop(0)  # breadth first: the path shown is a shortest one
        for imported in sorted(graph.get(current, ())):
            if imported in paths:
                continue
            paths[imported] = [*paths[current], imported]
            if imported in graph:
                todo.append(imported)
    return paths


def outermost(names: Iterable[str]) -> list[str]:
    """`names` without those inside another one listed (`a.b` goes when `a` is there)."""
    kept = sorted(set(names))
    return [n for n in kept if not any(n.startswith(other + ".") for other in kept)]


def is_io(name: str) -> bool:
    return any(name == lib or name.startswith(lib + ".") for lib in IO_LIBRARIES)


# ---- the rules, as functions over a source root, so planted trees can be checked too ------------


def cross_service_imports(root: Path, services: Iterable[str]) -> list[str]:
    services = list(services)
    found = []
    for service in services:
        others = [f"gridplus.{other}" for other in services if other != service]
        for path in sorted((root / "gridplus" / service).rglob("*.py")):
            names = [
                name
                for name in imports_of(root, path)
                if any(name == other or name.startswith(other + ".") for other in others)
            ]
            found += [f"{path.relative_to(root)} imports {name}" for name in outermost(names)]
    return found


def kit_imports_of_services(root: Path, services: Iterable[str]) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {name}"
        for path in sorted((root / "gridplus" / "kit").rglob("*.py"))
        for name in outermost(imports_of(root, path))
        if any(name.startswith(f"gridplus.{service}") for service in services)
    ]


def domain_io(root: Path, service: str) -> list[str]:
    graph = import_graph(root)
    prefix = f"gridplus.{service}.domain"
    found = []
    for module in sorted(m for m in graph if m == prefix or m.startswith(prefix + ".")):
        for name, path in reaches(graph, module).items():
            if is_io(name):
                found.append(" -> ".join(path))
                break
    return found


def domain_file_access(root: Path, service: str) -> list[str]:
    found = []
    for path in sorted((root / "gridplus" / service / "domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in FILE_CALLS:
                found.append(f"{path.relative_to(root)}:{node.lineno} calls {name}()")
    return sorted(found)


def handler_sql(root: Path, service: str) -> list[str]:
    found = []
    handlers = root / "gridplus" / service / "handlers"
    for path in sorted(handlers.rglob("*.py")):
        for name in outermost(imports_of(root, path, runtime_only=True)):
            if name == "sqlalchemy" or name.startswith("sqlalchemy."):
                found.append(f"{path.relative_to(root)} imports {name}")
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SESSION_CALLS
                and "session" in ast.unparse(node.func.value).lower()
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node.func)}()")
    return found


def anatomy(root: Path, service: str) -> list[str]:
    home = root / "gridplus" / service
    allowed = ALLOWED_TOP_LEVEL | EXTRA_TOP_LEVEL.get(service, frozenset())
    found = [
        f"{service}/{entry.name} is not part of the anatomy" for entry in sorted(home.iterdir())
    ]
    found = [
        f
        for f, entry in zip(found, sorted(home.iterdir()), strict=True)
        if entry.name not in allowed
    ]
    found += [f"{service} lacks {part}" for part in REQUIRED if not (home / part).exists()]
    return found


def oversized(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}: {lines} lines"
        for path in sorted((root / "gridplus").rglob("*.py"))
        if not any(part in str(path) for part in GENERATED)
        and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]


def web_workload_violations(root: Path, workload: str, services: Iterable[str]) -> list[str]:
    """A web workload owns no data: no storage/ or messaging/, no import of a service's code or
    of a database or broker library (it calls the services over gRPC)."""
    home = root / "gridplus" / workload
    found = [
        f"{workload}/{part} is not part of a web workload"
        for part in ("storage", "messaging")
        if (home / part).exists()
    ]
    forbidden = [f"gridplus.{service}" for service in services] + list(DATA_LIBRARIES)
    for path in sorted(home.rglob("*.py")):
        names = [
            name
            for name in imports_of(root, path)
            if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
        ]
        found += [f"{path.relative_to(root)} imports {name}" for name in outermost(names)]
    return found


# ---- on the code ---------------------------------------------------------------------------------


def test_a_service_imports_no_other_service() -> None:
    assert cross_service_imports(SERVICES_DIR, SERVICES) == []


def test_the_kit_knows_no_service() -> None:
    assert kit_imports_of_services(SERVICES_DIR, SERVICES) == []


@pytest.mark.parametrize("service", SERVICES)
def test_domain_code_reaches_no_io_library(service: str) -> None:
    assert domain_io(SERVICES_DIR, service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_domain_code_opens_no_file(service: str) -> None:
    assert domain_file_access(SERVICES_DIR, service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_handlers_do_no_sql(service: str) -> None:
    assert handler_sql(SERVICES_DIR, service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_anatomy(service: str) -> None:
    assert anatomy(SERVICES_DIR, service) == []
    assert list(
        (SERVICES_DIR / "gridplus" / service / "storage/alembic/versions").glob("0001_*.py")
    )


@pytest.mark.parametrize("workload", WEB_WORKLOADS)
def test_a_web_workload_owns_no_data_and_reaches_services_over_grpc(workload: str) -> None:
    assert (SERVICES_DIR / "gridplus" / workload / "__main__.py").exists()
    assert web_workload_violations(SERVICES_DIR, workload, SERVICES) == []


def test_the_kit_knows_no_web_workload() -> None:
    assert kit_imports_of_services(SERVICES_DIR, WEB_WORKLOADS) == []


def test_no_module_is_longer_than_400_lines() -> None:
    assert oversized(SERVICES_DIR) == []


# ---- each rule fails on a planted violation ------------------------------------------------------


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for directory in [root / "gridplus", *(root / "gridplus").rglob("*")]:
        if directory.is_dir() and not (directory / "__init__.py").exists():
            (directory / "__init__.py").write_text("")
    return root


def test_planted_cross_service_import_is_caught(tmp_path: Path) -> None:
    root = plant(tmp_path, {"gridplus/a/x.py": "from gridplus.b import y\n", "gridplus/b/y.py": ""})
    assert cross_service_imports(root, ["a", "b"]) == ["gridplus/a/x.py imports gridplus.b"]


def test_planted_kit_import_of_a_service_is_caught(tmp_path: Path) -> None:
    root = plant(tmp_path, {"gridplus/kit/k.py": "import gridplus.a.z\n", "gridplus/a/z.py": ""})
    assert kit_imports_of_services(root, ["a"]) == ["gridplus/kit/k.py imports gridplus.a.z"]


def test_planted_io_reached_through_the_kit_is_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "gridplus/a/domain/model.py": "from ...kit.errors import Oops\n",
            "gridplus/kit/errors.py": "import grpc\n\nclass Oops(Exception): ...\n",
        },
    )
    assert domain_io(root, "a") == [
        "gridplus.a.domain.model -> gridplus.kit.errors -> grpc",
    ]


def test_planted_protobuf_types_in_domain_are_caught(tmp_path: Path) -> None:
    root = plant(tmp_path, {"gridplus/a/domain/rules.py": "from gridplus.api.events.v1 import e\n"})
    assert domain_io(root, "a") == ["gridplus.a.domain.rules -> gridplus.api.events.v1"]


def test_an_import_only_for_types_is_not_io(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "gridplus/a/domain/model.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlalchemy\n"
            )
        },
    )
    assert domain_io(root, "a") == []


def test_planted_file_access_in_domain_is_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {"gridplus/a/domain/layers.py": "def load(p):\n    return open(p).read() + p.read_text()"},
    )
    assert domain_file_access(root, "a") == [
        "gridplus/a/domain/layers.py:2 calls open()",
        "gridplus/a/domain/layers.py:2 calls read_text()",
    ]


def test_planted_sql_in_handlers_is_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "gridplus/a/handlers/whistles.py": (
                "from sqlalchemy import select\n\ndef blow(session):\n    session.add(1)\n"
            )
        },
    )
    assert handler_sql(root, "a") == [
        "gridplus/a/handlers/whistles.py imports sqlalchemy",
        "gridplus/a/handlers/whistles.py:4 session.add()",
    ]


def test_planted_extra_top_level_module_and_missing_part_are_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "gridplus/a/__main__.py": "",
            "gridplus/a/config.py": "",
            "gridplus/a/domain/m.py": "",
            "gridplus/a/storage/models.py": "",
            "gridplus/a/work.py": "",
        },
    )
    assert anatomy(root, "a") == [
        "a/work.py is not part of the anatomy",
        "a lacks handlers/__init__.py",
    ]


def test_planted_data_in_a_web_workload_is_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "gridplus/web1/pages.py": "from gridplus.a.storage import rows\nimport sqlalchemy\n",
            "gridplus/web1/storage/models.py": "",
            "gridplus/a/storage/rows.py": "",
        },
    )
    assert web_workload_violations(root, "web1", ["a"]) == [
        "web1/storage is not part of a web workload",
        "gridplus/web1/pages.py imports gridplus.a.storage",
        "gridplus/web1/pages.py imports sqlalchemy",
    ]


def test_planted_long_module_is_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path, {"gridplus/a/long.py": "x = 1\n" * 401, "gridplus/api/gen.py": "y\n" * 999}
    )
    assert oversized(root) == ["gridplus/a/long.py: 401 lines"]
