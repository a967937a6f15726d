"""The staff console in the chart and the image: a stateless web workload that reaches every
service's replicas through their headless Services, gets secrets by reference only, no database
or Kafka, HTTP probes on /healthz, its own Ingress host and NetworkPolicies; the settings the
chart gives are the ones the console reads; the image ships the browser libraries it loads."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from gridplus.console.config import ConsoleSettings
from gridplus.kit.config import Env
from gridplus.kit.topology import SERVICES

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "gridplus"
HELM = REPO / ".tools" / "bin" / "helm"
RELEASE = "gridplus"
NAMESPACE = "grid"
CONSOLE = f"{RELEASE}-console"
Doc = dict[str, Any]


@cache
def render(*args: str) -> tuple[Doc, ...]:
    done = subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def objects(docs: tuple[Doc, ...], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def console_container(docs: tuple[Doc, ...]) -> Doc:
    [container] = objects(docs, "Deployment")[CONSOLE]["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_the_console_runs_locked_down_with_http_probes() -> None:
    docs = render()
    container = console_container(docs)
    assert container["args"] == ["gridplus.console", "serve"]
    assert container["ports"] == [{"name": "http", "containerPort": 8081, "protocol": "TCP"}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    service = objects(docs, "Service")[CONSOLE]["spec"]
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["ports"]] == [
        ("http", 8081, "http")
    ]
    assert CONSOLE in objects(docs, "PodDisruptionBudget")


def test_it_reaches_every_replica_and_owns_no_data() -> None:
    env = {e["name"]: e for e in console_container(render())["env"]}
    for spec in SERVICES.values():
        host = f"{RELEASE}-{spec.name}-headless.{NAMESPACE}.svc.cluster.local"
        assert env[f"{spec.env_prefix}_ADDR"]["value"] == f"dns:///{host}:{spec.grpc_port}"
    assert not [
        name for name in env if "KAFKA" in name or "DATABASE" in name or name == "PGPASSWORD"
    ]
    assert "GRIDPLUS_PII_KEY" not in env
    for secret in ("GRIDPLUS_JWT_SECRET", "GRIDPLUS_CONSOLE_SESSION_SECRET"):
        assert "value" not in env[secret] and "secretKeyRef" in env[secret]["valueFrom"], secret
    assert "GRIDPLUS_CONSOLE_DEV_LOGIN" not in env  # the dev sign-in stays off in a cluster


def test_the_chart_gives_the_settings_the_console_reads() -> None:
    docs = render(
        "--set", "console.tileUrl=https://tiles.example.org/{z}/{x}/{y}.png",
        "--set", "console.publicUrl=https://console.example.org",
        "--set", "auth.oidc.issuer=https://id.example.org",
        "--set", "auth.oidc.audience=gridplus",
        "--set", "auth.oidc.clientId=gridplus-console",
    )  # fmt: skip
    environ = {}
    for entry in console_container(docs)["env"]:
        # Secrets come from the cluster; a stand-in of the right length here.
        environ[entry["name"]] = entry.get("value", "s" * 48)
    settings = ConsoleSettings.from_env(Env(environ))
    assert settings.tile_url == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert settings.public_url == "https://console.example.org"
    assert settings.jwt.oidc is not None and settings.oidc_client_id == "gridplus-console"
    assert settings.dev_login is False and settings.http_port == 8081


def test_a_tile_url_without_placeholders_is_refused_by_the_schema() -> None:
    done = subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), "--set", "console.tileUrl=https://x.org/t.png"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "tileUrl" in done.stderr


def test_its_own_ingress_host_and_none_when_disabled() -> None:
    docs = render("--set", "ingress.enabled=true")
    ingress = objects(docs, "Ingress")[CONSOLE]["spec"]
    [rule] = ingress["rules"]
    assert rule["host"] == "console.gridplus.example.org"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": CONSOLE, "port": {"name": "http"}}
    off = render("--set", "console.enabled=false", "--set", "ingress.enabled=true")
    assert not [d for d in off if d["metadata"]["name"].startswith(CONSOLE)]


def test_network_policies_let_the_console_reach_the_grpc_ports_only() -> None:
    policies = objects(render(), "NetworkPolicy")
    own = policies[CONSOLE]["spec"]
    grpc_ports = {spec.grpc_port for spec in SERVICES.values()}
    egress_ports = {p["port"] for rule in own["egress"] for p in rule["ports"]}
    assert egress_ports == grpc_ports | {53, 443}
    assert {p["port"] for rule in own["ingress"] for p in rule["ports"]} == {"http"}
    inbound = policies[f"{CONSOLE}-to-services"]["spec"]
    selected = inbound["podSelector"]["matchExpressions"][-1]["values"]
    assert sorted(selected) == sorted(spec.name for spec in SERVICES.values())
    [rule] = inbound["ingress"]
    assert rule["ports"] == [{"port": "grpc", "protocol": "TCP"}]
    peer = rule["from"][0]["podSelector"]["matchLabels"]
    assert peer["app.kubernetes.io/component"] == "console"


@pytest.mark.parametrize("library", ["leaflet", "echarts"])
def test_the_image_fetches_the_browser_libraries_it_serves(library: str) -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    assert "RUN python -m tools.web_vendor" in dockerfile
    assert f"test -f services/gridplus/web/vendor/{library}/.version" in dockerfile
    assert (
        "COPY --from=builder /src/services/gridplus/web/vendor/ ./services/gridplus/web/vendor/"
        in dockerfile
    )
    # Never from the build context: only the integrity-checked fetch lands in the image.
    assert "services/gridplus/web/vendor" in ignore
    assert "rm -rf services/gridplus/web/vendor/axe-core" in dockerfile
