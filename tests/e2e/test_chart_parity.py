"""Chart–code parity: the five services, run exactly as the Helm chart configures them, work.

The chart is rendered with helm; each migration Job and each Deployment's server container is run
as a local process with the container's command (the image's ENTRYPOINT from the Dockerfile plus
the container's args), the image's ENV and the container's env — nothing else. Only what a
cluster would provide is substituted: in-cluster host names (every rendered Service, the Kafka
bootstrap and PostgreSQL host) resolve to 127.0.0.1, Secrets referenced by secretKeyRef are
filled in, and the image paths (/app, /app/var) point into the checkout and a per-pod directory.

Ports are chosen free and given to the chart as values (services.<name>.ports.*); everything else
(env vars, container ports, probes, Service ports) is derived by the chart, which is what this
test checks. The databases are fresh PostgreSQL users and databases named by the chart's values,
the broker is one of this module's own. Then every probe (native gRPC health on the probe's
port), every declared container port, the end-to-end petition path, and the stop within the pod's
grace period must work. A renamed env var or a wrong port fails it:
test_a_renamed_port_variable_fails_the_probe and test_a_wrong_probe_port_fails_the_probe show it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
import requests
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gridplus.api.evaluation.v1 import evaluation_pb2, evaluation_pb2_grpc
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.api.notification.v1 import notification_pb2, notification_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from tests.e2e.client import TIMES_SQUARE
from tests.support.broker import Broker
from tests.support.ports import free_port
from tests.support.postgres import ADMIN_URL

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "gridplus"
HELM = REPO / ".tools" / "bin" / "helm"
RELEASE = "gridplus"
NAMESPACE = "grid"
KAFKA_HOST = "kafka.kafka.svc.cluster.local"
POSTGRES_HOST = "postgresql.databases.svc.cluster.local"
SERVICES = {
    "grid-registry": "grid_registry",
    "petition": "petition",
    "dispatch": "dispatch",
    "notification": "notification",
    "evaluation": "evaluation",
}
START_ORDER = ["grid-registry", "petition", "dispatch", "notification", "evaluation"]

Doc = dict[str, Any]


# ---- the image, as the Dockerfile builds it -----------------------------------------------------


@dataclass(frozen=True)
class Image:
    entrypoint: list[str]
    env: dict[str, str]
    workdir: str


def final_stage_image() -> Image:
    """ENTRYPOINT, ENV and WORKDIR of the Dockerfile's last stage."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    stage = re.split(r"^FROM ", text, flags=re.MULTILINE)[-1]
    entrypoint: list[str] = []
    env: dict[str, str] = {}
    workdir = "/"
    for line in stage.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction == "ENTRYPOINT":
            entrypoint = json.loads(rest)
        elif instruction == "WORKDIR":
            workdir = rest.strip()
        elif instruction == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    assert entrypoint, "the final stage has an exec-form ENTRYPOINT"
    return Image(entrypoint, env, workdir)


# ---- what a cluster would provide ---------------------------------------------------------------


@dataclass
class Cluster:
    """Loopback for in-cluster names, filled-in Secrets, a directory per pod for /app/var."""

    hosts: set[str]
    secrets: dict[tuple[str, str], str]
    root: Path
    image: Image = field(default_factory=final_stage_image)

    def path(self, value: str, pod: str) -> str:
        value = value.replace("/app/var", str(self.root / pod / "var"))
        return re.sub(r"(?<![\w/])/app(?=/|$)", str(REPO), value)

    def resolve(self, value: str) -> str:
        """host:port and user@host:port of a known in-cluster name -> 127.0.0.1."""

        def loopback(match: re.Match[str]) -> str:
            host = match.group(2)
            return match.group(1) + ("127.0.0.1" if host in self.hosts else host) + ":"

        return re.sub(r"(^|[,@/])([A-Za-z0-9.-]+):(?=\d)", loopback, value)

    def env(self, container: Doc, pod: str) -> dict[str, str]:
        env = {"PATH": os.environ["PATH"], "HOME": str(self.root), "LANG": "C.UTF-8"}
        for name, value in self.image.env.items():
            if name != "PATH":
                env[name] = self.path(value, pod)
        for entry in container.get("env", []):
            if "value" in entry:
                env[entry["name"]] = self.path(self.resolve(str(entry["value"])), pod)
                continue
            source = entry["valueFrom"]
            if "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                env[entry["name"]] = self.secrets[(ref["name"], ref["key"])]
            elif "fieldRef" in source:
                assert source["fieldRef"]["fieldPath"] == "metadata.name"
                env[entry["name"]] = f"{pod}-0"
            else:
                raise AssertionError(f"unsupported env source {source}")
        return env

    def command(self, container: Doc) -> list[str]:
        command = container.get("command") or self.image.entrypoint
        argv = [*command, *container.get("args", [])]
        # The image's python is the venv's (PATH=/opt/venv/bin:...); here it is the test's.
        return [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]

    def cwd(self) -> Path:
        return Path(self.path(self.image.workdir, "cwd"))


# ---- the render ---------------------------------------------------------------------------------


@dataclass
class Render:
    docs: list[Doc]
    ports: dict[str, dict[str, int]]

    def of_kind(self, kind: str) -> dict[str, Doc]:
        return {d["metadata"]["name"]: d for d in self.docs if d["kind"] == kind}

    def deployment(self, name: str) -> Doc:
        return self.of_kind("Deployment")[f"{RELEASE}-{name}"]

    def container(self, name: str) -> Doc:
        [container] = self.deployment(name)["spec"]["template"]["spec"]["containers"]
        return dict(container)

    def migration(self, name: str) -> Doc:
        job = self.of_kind("Job")[f"{RELEASE}-{name}-migrate"]
        [container] = job["spec"]["template"]["spec"]["containers"]
        return dict(container)

    def service_hosts(self) -> set[str]:
        return {f"{name}.{NAMESPACE}.svc.cluster.local" for name in self.of_kind("Service")} | set(
            self.of_kind("Service")
        )


def render_chart(ports: dict[str, dict[str, int]], broker_port: int, suffix: str) -> Render:
    # helm v4 in .tools/bin (a quick no-op when present), as `make test` would have installed it.
    subprocess.run(["bash", str(REPO / "tools/install-helm.sh")], check=True, capture_output=True)
    sets = [
        f"kafka.bootstrapServers={KAFKA_HOST}:{broker_port}",
        "kafka.replicationFactor=1",  # the test's broker is a single node
        f"postgresql.host={POSTGRES_HOST}",
        "postgresql.port=5432",
    ]
    for name, package in SERVICES.items():
        for kind, number in ports[name].items():
            sets.append(f"services.{name}.ports.{kind}={number}")
        sets.append(f"services.{name}.database.name=parity_{suffix}_{package}")
        sets.append(f"services.{name}.database.user=parity_{suffix}_{package}")
    args = [arg for s in sets for arg in ("--set", s)]
    done = subprocess.run(
        [str(HELM), "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return Render([d for d in yaml.safe_load_all(done.stdout) if d], ports)


# ---- processes ----------------------------------------------------------------------------------


@dataclass
class Pods:
    cluster: Cluster
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, pod: str) -> Path:
        return self.cluster.root / pod / "log"

    def tail(self, pod: str) -> str:
        return self.log(pod).read_text()[-3000:]

    def run(self, jobs: dict[str, Doc], *, args: list[str] | None = None) -> None:
        """Run containers to completion, side by side (Jobs; each has its own database)."""
        for pod, container in jobs.items():
            self.start(pod, container, args=args)
        for pod in jobs:
            process = self.processes.pop(pod)
            assert process.wait(180) == 0, f"{pod}: {self.tail(pod)}"

    def start(self, pod: str, container: Doc, *, args: list[str] | None = None) -> None:
        (self.cluster.root / pod / "var").mkdir(parents=True, exist_ok=True)
        command = self.cluster.command(container)
        if args is not None:  # an operator command in the same container (kubectl exec)
            command = [*command[: -len(container["args"])], *args]
        with open(self.log(pod), "ab") as log:
            self.processes[pod] = subprocess.Popen(
                command, env=self.cluster.env(container, pod),
                cwd=self.cluster.cwd(), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def stop(self, pod: str) -> None:
        process = self.processes.pop(pod)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for pod in list(self.processes):
            self.stop(pod)


def probe_ok(port: int, service: str = "", timeout: float = 1.0) -> bool:
    """What the kubelet's native gRPC probe asks: grpc.health.v1 Check on 127.0.0.1:port."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def wait_probe(probe: Doc, budget: float, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if probe_ok(probe["grpc"]["port"], probe["grpc"].get("service", "")):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def startup_budget(container: Doc) -> float:
    startup = container["startupProbe"]
    return float(startup["periodSeconds"] * startup["failureThreshold"])


# ---- PostgreSQL users and databases, as an operator creates them --------------------------------


def create_databases(render: Render, password: str) -> list[tuple[str, str]]:
    created = []
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for name in SERVICES:
            url = next(
                e["value"] for e in render.container(name)["env"]
                if e["name"].endswith("_DATABASE_URL")
            )  # fmt: skip
            match = re.fullmatch(r"postgresql\+psycopg://([^@]+)@[^/]+/(\w+)", url)
            assert match, url
            user, database = match.groups()
            conn.execute(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'")
            conn.execute(f'CREATE DATABASE "{database}" OWNER "{user}"')
            created.append((user, database))
    return created


def drop_databases(created: list[tuple[str, str]]) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for user, database in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{user}"')


# ---- the fixture --------------------------------------------------------------------------------


@dataclass
class ChartStack:
    render: Render
    pods: Pods
    jwt: JwtSettings

    def token(self, role: Role, subject: str) -> str:
        return mint_token(self.jwt, subject=subject, role=role, ttl_seconds=3600)

    def http_url(self) -> str:
        ports = {p["name"]: p["containerPort"] for p in self.render.container("petition")["ports"]}
        return f"http://127.0.0.1:{ports['http']}"

    def grpc_port(self, name: str) -> int:
        ports = {p["name"]: p["containerPort"] for p in self.render.container(name)["ports"]}
        return int(ports["grpc"])


def free_ports() -> dict[str, dict[str, int]]:
    ports = {name: {"grpc": free_port(), "metrics": free_port()} for name in SERVICES}
    ports["petition"]["http"] = free_port()
    return ports


@pytest.fixture(scope="module")
def parity_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A broker of this module's own (the tests' Broker, like the session fixture's): the
    services here consume the real topic names, and must leave no events behind for the
    integration tests that share the session broker."""
    running = Broker(tmp_path_factory.mktemp("parity-broker")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chart_stack(
    parity_broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ChartStack]:
    suffix = uuid.uuid4().hex[:8]
    render = render_chart(free_ports(), parity_broker.port, suffix)
    password = secrets.token_hex(16)
    jwt_secret = secrets.token_urlsafe(48)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    secret_values = {
        (values["auth"]["jwt"]["existingSecret"], values["auth"]["jwt"]["secretKey"]): jwt_secret,
        (values["pii"]["existingSecret"], values["pii"]["key"]): base64.b64encode(
            os.urandom(32)
        ).decode(),
    }
    for name in SERVICES:
        database = values["services"][name]["database"]
        secret_values[(database["existingSecret"], database["passwordKey"])] = password
    cluster = Cluster(
        hosts=render.service_hosts() | {KAFKA_HOST, POSTGRES_HOST},
        secrets=secret_values,
        root=tmp_path_factory.mktemp("chart-parity"),
    )
    pods = Pods(cluster)
    created = create_databases(render, password)
    try:
        # The pre-install hooks, then grids for the petition path: grid-registry's own operator
        # command run in its pod's configuration.
        pods.run({f"{name}-migrate": render.migration(name) for name in START_ORDER})
        pods.run(
            {"grid-registry-load": render.container("grid-registry")},
            args=["gridplus.grid_registry", "load-demo"],
        )
        for name in START_ORDER:
            pods.start(name, render.container(name))
        issuer = render.container("petition")
        env = {e["name"]: e.get("value") for e in issuer["env"]}
        yield ChartStack(render, pods, JwtSettings(jwt_secret, str(env["GRIDPLUS_JWT_ISSUER"])))
    finally:
        pods.stop_all()
        drop_databases(created)


# ---- the checks ---------------------------------------------------------------------------------


def test_every_probe_of_every_service_passes(chart_stack: ChartStack) -> None:
    for name in START_ORDER:
        container = chart_stack.render.container(name)
        process = chart_stack.pods.processes[name]
        startup = container["startupProbe"]
        log = chart_stack.pods.log(name)
        assert wait_probe(startup, startup_budget(container), process), log.read_text()[-3000:]
        for kind in ("readinessProbe", "livenessProbe"):
            probe = container[kind]
            assert probe_ok(probe["grpc"]["port"], probe["grpc"].get("service", "")), (name, kind)


def test_every_declared_port_is_served(chart_stack: ChartStack) -> None:
    render = chart_stack.render
    for name in START_ORDER:
        container = render.container(name)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == render.ports[name], name
        assert probe_ok(ports["grpc"]), name
        metrics = requests.get(f"http://127.0.0.1:{ports['metrics']}/metrics", timeout=5)
        assert metrics.status_code == 200 and "gridplus_" in metrics.text, name
        service = render.of_kind("Service")[f"{RELEASE}-{name}"]
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, (name, port)
    health = requests.get(f"{chart_stack.http_url()}/healthz", timeout=5)
    assert health.status_code == 200


def top_level_category(chart_stack: ChartStack, metadata: list[tuple[str, str]]) -> str:
    """A top-level category of grid-registry's reference data, asked over its gRPC API."""
    with grpc.insecure_channel(f"127.0.0.1:{chart_stack.grpc_port('grid-registry')}") as ch:
        reply = grid_pb2_grpc.GridRegistryServiceStub(ch).ListCategories(
            grid_pb2.ListCategoriesRequest(), metadata=metadata, timeout=5
        )
    codes = sorted(c.code for c in reply.categories if c.code == c.top_level_code)
    assert codes, "grid-registry has no categories"
    return "environmental_protection" if "environmental_protection" in codes else codes[0]


def test_a_petition_flows_through_all_five_services(chart_stack: ChartStack) -> None:
    resident = chart_stack.token(Role.RESIDENT, "resident-parity")
    admin_token = chart_stack.token(Role.ADMIN, "admin-parity")
    admin = [("authorization", f"Bearer {admin_token}")]
    response = requests.post(
        f"{chart_stack.http_url()}/api/v1/petitions",
        # A category the resident gives skips the classifier: this test is about wiring, not
        # about how sure the classifier is of a text.
        json={
            "title": "Noise",
            "description": "loud music all night",
            "category": top_level_category(chart_stack, admin),
            **TIMES_SQUARE,
        },
        headers={"Authorization": f"Bearer {resident}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    petition_id = str(response.json()["id"])

    deadline = time.monotonic() + 20
    while True:
        petition = requests.get(  # staff read the assignee; a resident never sees a staff id
            f"{chart_stack.http_url()}/api/v1/petitions/{petition_id}",
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=10,
        ).json()
        if petition["status"] == "ASSIGNED":
            break
        assert time.monotonic() < deadline, (petition, chart_stack.pods.tail("dispatch"))
        time.sleep(0.1)
    assert petition["grid"]["code"] == "MN0502"
    assignee = petition["assignee_id"]

    with (
        grpc.insecure_channel(f"127.0.0.1:{chart_stack.grpc_port('notification')}") as inbox_ch,
        grpc.insecure_channel(f"127.0.0.1:{chart_stack.grpc_port('evaluation')}") as card_ch,
    ):
        inbox = notification_pb2_grpc.NotificationServiceStub(inbox_ch)
        card = evaluation_pb2_grpc.EvaluationServiceStub(card_ch)
        while True:
            items = inbox.ListInbox(
                notification_pb2.ListInboxRequest(recipient_id=assignee), metadata=admin, timeout=5
            ).items
            scorecard = card.GetScorecard(
                evaluation_pb2.GetScorecardRequest(
                    kind=evaluation_pb2.SUBJECT_KIND_WORKER, subject_id=assignee
                ),
                metadata=admin,
                timeout=5,
            ).scorecard
            if any(i.petition_id == petition_id for i in items) and scorecard.assigned_count:
                break
            assert time.monotonic() < deadline, "inbox item or scorecard count did not arrive"
            time.sleep(0.2)


# ---- the same checks fail when the chart and the code disagree ----------------------------------


def start_alone(chart_stack: ChartStack, pod: str, container: Doc) -> subprocess.Popen[bytes]:
    chart_stack.pods.start(pod, container)
    return chart_stack.pods.processes[pod]


def test_a_renamed_port_variable_fails_the_probe(chart_stack: ChartStack) -> None:
    """The chart says GRIDPLUS_EVALUATION_GRPC_PORTS: the service listens elsewhere."""
    container = chart_stack.render.container("evaluation")
    port = free_port()
    for entry in container["env"]:
        if entry["name"] == "GRIDPLUS_EVALUATION_GRPC_PORT":
            entry["name"] = "GRIDPLUS_EVALUATION_GRPC_PORTS"  # the code reads _GRPC_PORT
        if entry["name"] == "GRIDPLUS_EVALUATION_METRICS_PORT":
            entry["value"] = str(free_port())  # the running evaluation holds the old one
    container["startupProbe"]["grpc"]["port"] = port
    process = start_alone(chart_stack, "evaluation-renamed", container)
    try:
        assert not wait_probe(container["startupProbe"], 8.0, process)
    finally:
        chart_stack.pods.stop("evaluation-renamed")


def test_a_wrong_probe_port_fails_the_probe(chart_stack: ChartStack) -> None:
    """The probe asks a port the service does not serve."""
    container = chart_stack.render.container("dispatch")
    container["startupProbe"]["grpc"]["port"] = container["startupProbe"]["grpc"]["port"] + 1
    assert not wait_probe(container["startupProbe"], 3.0, chart_stack.pods.processes["dispatch"])


# ---- last: the stack stops as the pod spec expects ----------------------------------------------


def test_sigterm_ends_each_service_within_the_pods_grace_period(chart_stack: ChartStack) -> None:
    """After the preStop sleep the kubelet sends SIGTERM and waits the rest of
    terminationGracePeriodSeconds before SIGKILL: each service must drain and exit 0 by then."""
    processes = chart_stack.pods.processes
    budgets = {}
    for name in START_ORDER:
        pod = chart_stack.render.deployment(name)["spec"]["template"]["spec"]
        [container] = pod["containers"]
        pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
        budgets[name] = pod["terminationGracePeriodSeconds"] - pre_stop
        processes[name].send_signal(signal.SIGTERM)
    started = time.monotonic()
    for name in START_ORDER:
        remaining = budgets[name] - (time.monotonic() - started)
        try:
            code = processes[name].wait(max(remaining, 0.1))
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"{name} still runs {budgets[name]} s after SIGTERM: {chart_stack.pods.tail(name)}"
            )
        assert code == 0, (name, chart_stack.pods.tail(name))
