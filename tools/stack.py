"""The local stack: the broker and all five services as processes on SQLite, with the demo city.

`make run` runs `python -m tools.stack run`; the end-to-end tests and `make bench` use LocalStack
directly (on free ports, in a temporary directory) to drive the same real processes.

`make run REPLICAS=2 DB=postgresql` runs ScaledStack (tools/scaled_stack.py): every service
several times, on one PostgreSQL database per service, restarted when a process dies.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from gridplus.kit.topology import PETITION_HTTP_PORT, SERVICES

# The staff console's default port (gridplus/console/config.py); not a service, so not in
# kit.topology. Importing the console's settings would load Flask into every tool.
CONSOLE_HTTP_PORT = 8081
CONSOLE = "console"

ROOT = Path(__file__).resolve().parents[1]
START_ORDER = ["grid_registry", "petition", "dispatch", "notification", "evaluation"]

# Who each development token speaks for: demo people that exist in the demo city.
DEV_SUBJECTS: Mapping[Role, tuple[str, tuple[str, ...]]] = {
    Role.RESIDENT: ("resident-demo", ()),
    Role.GRID_WORKER: ("w-MN0502-1", ("MN0502",)),
    Role.GRID_CHIEF: ("c-MN0502", ("MN0502",)),
    Role.DEPARTMENT_STAFF: ("dept-staff-demo", ()),
    Role.DEPARTMENT_HEAD: ("dept-head-demo", ()),
    Role.INSPECTOR: ("inspector-demo", ()),
    Role.ADMIN: ("admin-demo", ()),
    Role.SERVICE: ("devstack", ()),
}
# The department the development department tokens speak for (their `department` claim): DOT,
# which the README's first petition (a street light at Times Square) is routed to, so a new user
# sees it with either department token in petition's ListPetitions and dispatch's
# ListAssignments alike. Without the claim a department token sees nothing (a department scope
# of none). Kept beside DEV_SUBJECTS, whose (subject, grids) pairs other tools unpack.
DEV_DEPARTMENTS: Mapping[Role, str] = {Role.DEPARTMENT_STAFF: "DOT", Role.DEPARTMENT_HEAD: "DOT"}


# For harnesses that submit made-up titles ("broker down 3") and expect them routed, not sent
# to manual triage: the end-to-end tests and the benchmarks. `make run` keeps dispatch's default
# threshold, so a demo petition the classifier is unsure of waits in triage as in production.
ROUTE_EVERYTHING: Mapping[str, str] = {"GRIDPLUS_DISPATCH_CLASSIFIER_THRESHOLD": "0"}


@dataclass
class Ports:
    grpc: dict[str, int] = field(
        default_factory=lambda: {p: s.grpc_port for p, s in SERVICES.items()}
    )
    metrics: dict[str, int] = field(
        default_factory=lambda: {p: s.metrics_port for p, s in SERVICES.items()}
    )
    http: int = PETITION_HTTP_PORT
    broker: int = 9092
    console: int = CONSOLE_HTTP_PORT
    # The one loopback address webhooks and SMS may reach here (GRIDPLUS_EGRESS_ALLOW): a
    # developer's receiver. Nothing else internal, not even the platform's own ports.
    webhook_receiver: int = 8099


class LocalStack:
    def __init__(
        self, var_dir: Path, ports: Ports | None = None, extra_env: Mapping[str, str] = {}
    ) -> None:
        self.var_dir = var_dir.resolve()
        self.ports = ports or Ports()
        self.extra_env = dict(extra_env)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.credentials = self._credentials()

    # -- configuration ------------------------------------------------------------------------

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.console}"

    def token(self, role: Role) -> str:
        return str(self.credentials["tokens"][role.value])

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "services"),
            "PYTHONUNBUFFERED": "1",
            "GRIDPLUS_VAR_DIR": str(self.var_dir),
            "GRIDPLUS_JWT_SECRET": self.credentials["jwt_secret"],
            "GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.ports.broker}",
            "GRIDPLUS_PETITION_HTTP_PORT": str(self.ports.http),
            "GRIDPLUS_SHUTDOWN_GRACE_SECONDS": "10",
            "GRIDPLUS_BROKER_PORT": str(self.ports.broker),
            # Open311 POST's development api key (in dev-credentials.json beside the tokens).
            "GRIDPLUS_PETITION_OPEN311_API_KEYS": self.credentials["open311_api_key"],
            "GRIDPLUS_EGRESS_ALLOW": f"127.0.0.1:{self.ports.webhook_receiver}",
            # The load harnesses (bench, chaos, resilience) submit thousands of petitions with
            # one dev resident token and one api key: far above a city's abuse limits.
            "GRIDPLUS_PETITION_SUBMITS_PER_MINUTE_PER_RESIDENT": "100000",
            "GRIDPLUS_PETITION_OPEN311_POSTS_PER_MINUTE_PER_KEY": "100000",
            # The resident page's token paste (development only; a city signs in with OIDC).
            "GRIDPLUS_PETITION_DEV_TOKEN_PASTE": "1",
        }
        for package, spec in SERVICES.items():
            env[f"{spec.env_prefix}_GRPC_PORT"] = str(self.ports.grpc[package])
            env[f"{spec.env_prefix}_METRICS_PORT"] = str(self.ports.metrics[package])
            env[f"{spec.env_prefix}_ADDR"] = f"127.0.0.1:{self.ports.grpc[package]}"
        env.update(self.extra_env)
        return env

    def service_env(self, package: str) -> dict[str, str]:
        env = self.env()
        # One replica per service here: a restarted process reclaims its partitions at once.
        env["GRIDPLUS_KAFKA_GROUP_INSTANCE_ID"] = f"{package}-local"
        return env

    def _credentials(self) -> dict:
        """Development credentials: a random secret and a token per role, kept in var/."""
        path = self.var_dir / "dev-credentials.json"
        credentials: dict = json.loads(path.read_text()) if path.exists() else {}
        # A var dir keeps its secret and Open311 key; older ones gain what they lack.
        credentials.setdefault("jwt_secret", secrets.token_urlsafe(48))
        credentials.setdefault("open311_api_key", secrets.token_hex(16))
        # Signs the console's session cookies: kept, so a restart does not sign everyone out.
        credentials.setdefault("console_session_secret", secrets.token_urlsafe(48))
        self.var_dir.mkdir(parents=True, exist_ok=True)
        jwt = JwtSettings(secret=credentials["jwt_secret"], issuer="gridplus")
        # Tokens live at most the kit's maximum (a day), so every start mints a fresh set.
        tokens = {
            role.value: mint_token(
                jwt,
                subject=subject,
                role=role,
                grid_codes=grids,
                department=DEV_DEPARTMENTS.get(role),
                ttl_seconds=jwt.max_ttl_seconds,
            )
            for role, (subject, grids) in DEV_SUBJECTS.items()
        }
        credentials["tokens"] = tokens
        path.write_text(json.dumps(credentials, indent=2))
        path.chmod(0o600)
        return credentials

    # -- processes ----------------------------------------------------------------------------

    def broker(self, action: str) -> None:
        subprocess.run([str(ROOT / "tools/broker.sh"), action], env=self.env(), check=True)

    def load_demo(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "gridplus.grid_registry", "load-demo"],
            env=self.env(),
            check=True,
            cwd=ROOT,
        )

    def load_demo_households(self) -> None:
        """A generated household register for the demo city (issue 16), about 1,000
        households; a second run finds every household unchanged."""
        subprocess.run(
            [sys.executable, "-m", "gridplus.grid_registry", "generate-households",
             "--per-unit", "2", "--seed", "16"],
            env=self.env(),
            check=True,
            cwd=ROOT,
        )  # fmt: skip

    def start_service(self, package: str) -> None:
        logs = self.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{package}.log", "ab") as log:
            self.processes[package] = subprocess.Popen(
                [sys.executable, "-m", f"gridplus.{package}", "serve"],
                env=self.service_env(package),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def console_env(self) -> dict[str, str]:
        """The console beside the services: the same addresses and token secret, the dev
        sign-in on (a development stack only; the chart leaves it off)."""
        env = self.env()
        return {
            **env,
            "GRIDPLUS_CONSOLE_HTTP_PORT": str(self.ports.console),
            "GRIDPLUS_CONSOLE_SESSION_SECRET": self.credentials["console_session_secret"],
            # With a city's provider (GRIDPLUS_OIDC_ISSUER) the services refuse dev tokens for
            # people, so the console signs in there instead.
            "GRIDPLUS_CONSOLE_DEV_LOGIN": "off" if env.get("GRIDPLUS_OIDC_ISSUER") else "on",
            "GRIDPLUS_CONSOLE_DEV_PEOPLE": dev_people_json(),
        }

    def start_console(self) -> None:
        logs = self.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{CONSOLE}.log", "ab") as log:
            self.processes[CONSOLE] = subprocess.Popen(
                [sys.executable, "-m", "gridplus.console", "serve"],
                env=self.console_env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def start(self, *, timeout: float = 60.0, console: bool = False) -> None:
        """The broker, the demo city and the five services; with `console`, the staff console
        too (on ports.console; the harnesses that only drive the APIs leave it out)."""
        self.broker("start")
        self.load_demo()
        for package in START_ORDER:
            self.start_service(package)
        if console:
            self.start_console()
        self.wait_ready(timeout=timeout)
        if console:
            self.wait_console(timeout=timeout)

    def wait_console(self, *, timeout: float = 60.0) -> None:
        wait_http(
            f"{self.console_url}/healthz",
            CONSOLE,
            lambda: self.processes.get(CONSOLE),
            self.var_dir / "logs" / f"{CONSOLE}.log",
            time.monotonic() + timeout,
        )

    def wait_ready(self, packages: list[str] | None = None, *, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for package in packages or START_ORDER:
            self._wait_serving(package, deadline)

    def _wait_serving(self, package: str, deadline: float) -> None:
        wait_serving(
            f"127.0.0.1:{self.ports.grpc[package]}",
            package,
            lambda: self.processes.get(package),
            self.var_dir / "logs" / f"{package}.log",
            deadline,
        )

    def kill(self, package: str) -> None:
        """kill -9, as a crash would."""
        process = self.processes.pop(package)
        process.kill()
        process.wait()

    def stop_service(self, package: str, timeout: float = 15.0) -> int:
        process = self.processes.pop(package)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise

    def stop(self) -> None:
        for package in reversed(list(self.processes)):
            process = self.processes[package]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for package in list(self.processes):
            try:
                self.processes[package].wait(15)
            except subprocess.TimeoutExpired:
                self.processes[package].kill()
        self.processes.clear()
        self.broker("stop")


def run(var_dir: Path) -> None:
    stack = LocalStack(var_dir)
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        stack.start(console=True)
        # The demo household register: gridctl writes it beside the running grid-registry,
        # whose relay publishes its events (a few seconds; the test harnesses leave it out).
        stack.load_demo_households()
        print(f"Grid+ ready: {stack.http_url}", flush=True)
        print(f"Grid+ console: {stack.console_url}/", flush=True)
        print(f"  credentials: {var_dir}/dev-credentials.json  logs: {var_dir}/logs/", flush=True)
        while not stopping:
            for package, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{package} exited ({process.returncode}); stopping", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        stack.stop()
        print("Grid+ stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.stack")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--replicas", type=int, default=1, help="processes per service")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    if args.replicas == 1 and args.db == "sqlite":
        run(args.var_dir)
        return
    from tools.scaled_stack import run_scaled

    run_scaled(args.var_dir, replicas=args.replicas, database=args.db)


if __name__ == "__main__":
    main()


def dev_people_json() -> str:
    """DEV_SUBJECTS as the console's GRIDPLUS_CONSOLE_DEV_PEOPLE (whom /dev-login may act as)."""
    return json.dumps(
        {
            role.value: {
                "subject": subject,
                "grids": list(grids),
                "department": DEV_DEPARTMENTS.get(role),
            }
            for role, (subject, grids) in DEV_SUBJECTS.items()
            if role is not Role.SERVICE
        }
    )


def wait_http(
    url: str,
    name: str,
    process: Callable[[], subprocess.Popen[bytes] | None],
    log: Path,
    deadline: float,
) -> None:
    """Until GET `url` answers 200; fail at once if the process exited, or after `deadline`."""
    while True:
        running = process()
        if running is not None and running.poll() is not None:
            raise RuntimeError(f"{name} exited with {running.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} does not answer at {url}")
        time.sleep(0.1)


def wait_serving(
    address: str,
    name: str,
    process: Callable[[], subprocess.Popen[bytes] | None],
    log: Path,
    deadline: float,
) -> None:
    """Until the gRPC health service at `address` answers SERVING; fail at once if the process
    exited (pointing at its log) or once `deadline` (time.monotonic) passes."""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            running = process()
            if running is not None and running.poll() is not None:
                raise RuntimeError(f"{name} exited with {running.returncode}; see {log}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} is not SERVING on {address}")
            time.sleep(0.1)
