"""Delivery: the Helm chart renders what an operator relies on, and skaffold.yaml is valid.

Runs helm (installed repo-locally by tools/install-helm.sh) and parses its output; no cluster.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "gridplus"
HELM = REPO / ".tools" / "bin" / "helm"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
RELEASE = "gridplus"
NAMESPACE = "grid"
# The staff console: a web workload beside the services, no gRPC port, no Kafka, no database
# (tests/deploy/test_console_chart.py checks it).
CONSOLE = f"{RELEASE}-console"

# name -> (python package, gRPC port, metrics port), as in the project conventions.
SERVICES: dict[str, tuple[str, int, int]] = {
    "grid-registry": ("grid_registry", 50051, 9101),
    "petition": ("petition", 50052, 9102),
    "dispatch": ("dispatch", 50053, 9103),
    "notification": ("notification", 50054, 9104),
    "evaluation": ("evaluation", 50055, 9105),
}
PETITION_HTTP_PORT = 8080
# Services of the optional in-release Kafka and PostgreSQL (inRelease.*).
IN_RELEASE_DEPENDENCIES = {f"{RELEASE}-kafka", f"{RELEASE}-postgresql"}
# Objects of CRDs (Prometheus Operator, Gateway API) the Kubernetes schemas do not include.
CUSTOM_RESOURCE_KINDS = {"ServiceMonitor", "PrometheusRule", "HTTPRoute"}
SECRET_ENV = re.compile(r"(SECRET|PASSWORD|PII_KEY)$")
# A database URL in plain text names a user at most, never a password.
PLAIN_DATABASE_URL = re.compile(r"(postgresql\+psycopg://[^:@/]+@|sqlite:///).*")
SCHEMA_ERROR = "values don't meet the specifications of the schema"

Doc = dict[str, Any]


@pytest.fixture(scope="session", autouse=True)
def helm() -> Path:
    """helm v4 at .tools/bin/helm, installed on first use (a quick no-op when present)."""
    done = subprocess.run(
        ["bash", str(REPO / "tools" / "install-helm.sh")], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"tools/install-helm.sh failed:\n{done.stderr}")
    assert done.stdout.strip() == str(HELM)
    return HELM


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=120)


@cache
def render(*args: str) -> tuple[Doc, ...]:
    """Objects rendered by `helm template` with extra args (e.g. -f FILE, --set K=V)."""
    done = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def of_kind(docs: tuple[Doc, ...], kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def enabled_services(values_file: Path) -> set[str]:
    overrides = (yaml.safe_load(values_file.read_text()) or {}).get("services", {})
    return {name for name in SERVICES if overrides.get(name, {}).get("enabled", True)}


def server_container(deployment: Doc) -> Doc:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: Doc = containers[0]
    return container


def env_of(container: Doc) -> dict[str, Doc]:
    return {entry["name"]: entry for entry in container["env"]}


def values_id(path: Path) -> str:
    return path.name.removesuffix("-values.yaml")


# ---- lint and render ----------------------------------------------------------------------------


def test_ci_values_files_exist() -> None:
    assert {values_id(p) for p in CI_VALUES} >= {"default", "petition-only", "sqlite"}


@pytest.mark.parametrize("values_file", CI_VALUES, ids=values_id)
def test_chart_lints_strictly(values_file: Path) -> None:
    done = run_helm("lint", "--strict", str(CHART), "-f", str(values_file))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("values_file", CI_VALUES, ids=values_id)
def test_each_enabled_service_gets_a_deployment_and_a_service(values_file: Path) -> None:
    docs = render("-f", str(values_file))
    expected = {f"{RELEASE}-{name}" for name in enabled_services(values_file)}
    assert set(of_kind(docs, "Deployment")) == expected | {CONSOLE}
    headless = {f"{name}-headless" for name in expected}  # gRPC clients resolve every pod
    services = set(of_kind(docs, "Service")) - IN_RELEASE_DEPENDENCIES
    assert services == expected | headless | {CONSOLE}
    assert set(of_kind(docs, "ServiceAccount")) == {RELEASE}


@pytest.mark.parametrize("values_file", CI_VALUES, ids=values_id)
def test_ports_probes_and_addresses_follow_the_conventions(values_file: Path) -> None:
    docs = render("-f", str(values_file))
    deployments, services = of_kind(docs, "Deployment"), of_kind(docs, "Service")
    for name in enabled_services(values_file):
        package, grpc, metrics = SERVICES[name]
        expected = {"grpc": grpc, "metrics": metrics}
        if name == "petition":
            expected["http"] = PETITION_HTTP_PORT
        container = server_container(deployments[f"{RELEASE}-{name}"])
        assert container["args"] == [f"gridplus.{package}", "serve"]
        assert {p["name"]: p["containerPort"] for p in container["ports"]} == expected
        service_ports = services[f"{RELEASE}-{name}"]["spec"]["ports"]
        assert {p["name"]: (p["port"], p["targetPort"]) for p in service_ports} == {
            port: (number, port) for port, number in expected.items()
        }
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": grpc}, (name, probe)
        env = env_of(container)
        prefix = f"GRIDPLUS_{package.upper()}"
        for port, number in expected.items():
            assert env[f"{prefix}_{port.upper()}_PORT"]["value"] == str(number)
        for other, (other_package, other_grpc, _) in SERVICES.items():
            host = f"{RELEASE}-{other}-headless.{NAMESPACE}.svc.cluster.local"
            addr = env[f"GRIDPLUS_{other_package.upper()}_ADDR"]["value"]
            assert addr == f"dns:///{host}:{other_grpc}"
        assert "GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS" in env


def test_kafka_bootstrap_servers_come_from_values() -> None:
    docs = render("--set", "kafka.bootstrapServers=broker-0:9092\\,broker-1:9092")
    for name, deployment in of_kind(docs, "Deployment").items():
        if name == CONSOLE:
            continue
        env = env_of(server_container(deployment))
        assert env["GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS"]["value"] == "broker-0:9092,broker-1:9092"


def test_pods_run_locked_down_and_drain_before_stopping() -> None:
    for deployment in of_kind(render(), "Deployment").values():
        spec = deployment["spec"]
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        container = server_container(deployment)
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/app/var"]]
        pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
        assert pre_stop[0] == "sleep"
        grace = int(env_of(container)["GRIDPLUS_SHUTDOWN_GRACE_SECONDS"]["value"])
        assert pod["terminationGracePeriodSeconds"] > int(pre_stop[1]) + grace


def test_default_env_is_merged_with_service_overrides() -> None:
    docs = render(
        "--set", "default.env.GRIDPLUS_LOG_LEVEL=WARNING",
        "--set", "services.dispatch.env.GRIDPLUS_LOG_LEVEL=DEBUG",
        "--set", "services.dispatch.env.EXTRA=1",
    )  # fmt: skip
    deployments = of_kind(docs, "Deployment")
    dispatch = env_of(server_container(deployments[f"{RELEASE}-dispatch"]))
    petition = env_of(server_container(deployments[f"{RELEASE}-petition"]))
    assert dispatch["GRIDPLUS_LOG_LEVEL"]["value"] == "DEBUG"
    assert dispatch["EXTRA"]["value"] == "1"
    assert petition["GRIDPLUS_LOG_LEVEL"]["value"] == "WARNING"
    assert "EXTRA" not in petition


def test_a_service_override_stays_with_that_service() -> None:
    docs = render("--set", "services.dispatch.probes.startup.failureThreshold=60")
    for name, deployment in of_kind(docs, "Deployment").items():
        startup = server_container(deployment)["startupProbe"]
        assert startup["failureThreshold"] == (60 if name == f"{RELEASE}-dispatch" else 30), name
        assert startup["periodSeconds"] == 2, name


# ---- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", CI_VALUES, ids=values_id)
def test_secrets_reach_pods_only_by_reference(values_file: Path) -> None:
    docs = render("-f", str(values_file))
    assert not of_kind(docs, "Secret"), "the chart must not create or carry Secrets"
    pods = [d["spec"]["template"]["spec"] for d in docs if d["kind"] in ("Deployment", "Job")]
    containers = [c for pod in pods for c in pod["containers"] + pod.get("initContainers", [])]
    for container in containers:
        for name, entry in env_of(container).items():
            if SECRET_ENV.search(name):
                assert "value" not in entry, name
                assert "secretKeyRef" in entry["valueFrom"], name
            if name.endswith("_DATABASE_URL") and "value" in entry:
                assert PLAIN_DATABASE_URL.fullmatch(entry["value"]), name


def test_only_services_that_need_it_get_the_pii_key() -> None:
    for name, deployment in of_kind(render(), "Deployment").items():
        env = env_of(server_container(deployment))
        holds_personal_data = name in (
            f"{RELEASE}-grid-registry",
            f"{RELEASE}-petition",
            f"{RELEASE}-notification",
        )
        assert ("GRIDPLUS_PII_KEY" in env) == holds_personal_data, name
        assert env["GRIDPLUS_JWT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "gridplus-auth"


# ---- migrations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", CI_VALUES, ids=values_id)
def test_migrations_run_before_install_and_upgrade(values_file: Path) -> None:
    docs = render("-f", str(values_file))
    jobs = of_kind(docs, "Job")
    values = yaml.safe_load(values_file.read_text()) or {}
    sqlite = values.get("postgresql", {}).get("enabled", True) is False
    # The in-release PostgreSQL starts with the release, after pre-install hooks would run.
    in_release = values.get("inRelease", {}).get("postgresql", {}).get("enabled", False)
    enabled = enabled_services(values_file)
    if sqlite or in_release:
        assert not jobs
        for name in enabled:
            pod = of_kind(docs, "Deployment")[f"{RELEASE}-{name}"]["spec"]["template"]["spec"]
            assert pod["initContainers"][0]["args"] == [f"gridplus.{SERVICES[name][0]}", "migrate"]
        return
    assert set(jobs) == {f"{RELEASE}-{name}-migrate" for name in enabled}
    selectors = [s["spec"]["selector"] for s in of_kind(docs, "Service").values()]
    for name in enabled:
        job = jobs[f"{RELEASE}-{name}-migrate"]
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        pod = job["spec"]["template"]
        assert pod["spec"]["restartPolicy"] == "Never"
        assert pod["spec"]["containers"][0]["args"] == [f"gridplus.{SERVICES[name][0]}", "migrate"]
        labels = pod["metadata"]["labels"]
        assert not any(sel.items() <= labels.items() for sel in selectors), "Service selects Job"


# ---- bad values are refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "where"),
    [
        ("services.petition.replicas=two", "/services/petition/replicas"),
        ("services.petition.colour=blue", "/services/petition"),
        ("services.petition.database.password=hunter2", "/services/petition/database"),
        ("services.billing.enabled=true", "/services"),
        ("services.dispatch.ports.grpc=70000", "/services/dispatch/ports/grpc"),
        ("kafka.securityProtocol=TLS", "/kafka/securityProtocol"),
        ("colour=blue", "at ''"),
    ],
)
def test_bad_values_fail_with_a_schema_message(flag: str, where: str) -> None:
    done = run_helm("template", RELEASE, str(CHART), "--set", flag)
    assert done.returncode != 0
    assert SCHEMA_ERROR in done.stderr
    assert where in done.stderr
    assert "hunter2" not in done.stdout


def test_sqlite_mode_refuses_more_than_one_replica() -> None:
    done = run_helm(
        "template", RELEASE, str(CHART), "--set", "postgresql.enabled=false",
        "--set", "services.petition.replicas=2",
    )  # fmt: skip
    assert done.returncode != 0
    assert "services.petition" in done.stderr and "replicas must be 0 or 1" in done.stderr


def test_sasl_without_a_mechanism_is_refused() -> None:
    done = run_helm("template", RELEASE, str(CHART), "--set", "kafka.securityProtocol=SASL_SSL")
    assert done.returncode != 0
    assert "kafka.sasl.mechanism is required" in done.stderr


# ---- optional validators (used when installed) --------------------------------------------------


@pytest.mark.parametrize("values_file", CI_VALUES, ids=values_id)
def test_rendered_objects_match_the_kubernetes_api(values_file: Path) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for doc in render("-f", str(values_file)):
        if doc["kind"] in CUSTOM_RESOURCE_KINDS:
            continue  # no schema offline; test_chart_checks.py checks their shape
        kubernetes_validate.validate(doc, "1.27.0", strict=True)  # the chart's kubeVersion floor


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(REPO / ".venv/bin"))
    if hadolint is None:
        pytest.skip("hadolint not installed")
    done = subprocess.run([hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_base_image_is_pinned_by_tag_and_digest() -> None:
    text = (REPO / "Dockerfile").read_text()
    [base] = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, flags=re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base), base
    assert re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE) == [
        "${PYTHON_IMAGE}",
        "${PYTHON_IMAGE}",
    ]


def test_final_image_stage_is_non_root_and_has_no_compilers() -> None:
    text = (REPO / "Dockerfile").read_text()
    final_stage = re.split(r"^FROM ", text, flags=re.MULTILINE)[-1]
    assert "build-essential" not in final_stage and "gcc" not in final_stage
    assert re.search(r"^USER 10001", final_stage, flags=re.MULTILINE)
    assert 'ENTRYPOINT ["python", "-m"]' in final_stage
    assert "COPY data/" in final_stage


# ---- skaffold -----------------------------------------------------------------------------------


def skaffold_config() -> Doc:
    config: Doc = yaml.safe_load((REPO / "skaffold.yaml").read_text())
    return config


def apply_patches(config: Doc, patches: list[Doc]) -> Doc:
    """The add/replace subset of JSON patch that skaffold profiles here use."""
    patched = copy.deepcopy(config)
    for patch in patches:
        assert patch["op"] in ("add", "replace"), patch
        tokens = patch["path"][1:].split("/")
        *parents, last = [t.replace("~1", "/").replace("~0", "~") for t in tokens]
        target: Any = patched
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        if patch["op"] == "replace":
            assert last in target, f"replace of missing {patch['path']}"
        target[last] = patch["value"]
    return patched


def skaffold_variants() -> dict[str, Doc]:
    """The base config and, for each profile, the config that profile produces."""
    base = skaffold_config()
    variants = {"base": base}
    for profile in base.get("profiles", []):
        variants[profile["name"]] = apply_patches(base, profile.get("patches", []))
    return variants


def test_skaffold_yaml_validates_against_its_schema() -> None:
    schema = json.loads((REPO / "deploy/schemas/skaffold-v4beta13.json").read_text())
    config = skaffold_config()
    assert config["apiVersion"] == "skaffold/v4beta13"
    assert {p["name"] for p in config["profiles"]} >= {"dev", "production"}
    validator = jsonschema.Draft7Validator(schema)
    for name, variant in skaffold_variants().items():
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(variant)]
        assert not errors, (name, errors)


@pytest.mark.parametrize("variant", ["base", "dev", "production"])
def test_skaffold_releases_render_with_the_chart(variant: str) -> None:
    config = skaffold_variants()[variant]
    [artifact] = config["build"]["artifacts"]
    [release] = config["deploy"]["helm"]["releases"]
    assert (REPO / release["chartPath"]) == CHART
    # What skaffold would fill in for the templates: the built image, and env defaults.
    filled = {
        f"{{{{.IMAGE_REPO_{artifact['image']}}}}}": "registry.test/gridplus",
        f"{{{{.IMAGE_TAG_{artifact['image']}}}}}": "abc1234",
        f"{{{{.IMAGE_DIGEST_{artifact['image']}}}}}": "sha256:" + "0" * 64,
    }
    sets = [f"{k}={v}" for k, v in release.get("setValues", {}).items()]
    for key, template in release["setValueTemplates"].items():
        for placeholder, value in filled.items():
            template = template.replace(placeholder, value)
        template = re.sub(r'\{\{default "([^"]*)" \.[A-Z_]+\}\}', r"\1", template)
        assert "{{" not in template, template
        sets.append(f"{key}={template}")
    docs = render(*[arg for s in sets for arg in ("--set", s.replace(",", "\\,"))])
    images = {server_container(d)["image"] for d in of_kind(docs, "Deployment").values()}
    assert images == {f"registry.test/gridplus:abc1234@sha256:{'0' * 64}"}


# ---- the helm installer -------------------------------------------------------------------------


def test_install_helm_is_a_quick_no_op_when_present() -> None:
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(REPO / "tools" / "install-helm.sh")], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.strip() == str(HELM)
    assert time.monotonic() - started < 5
    version = run_helm("version", "--template", "{{.Version}}").stdout
    assert version.startswith("v4.")
