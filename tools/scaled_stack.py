"""The local stack scaled out: every service as several processes, as Kubernetes runs replicas.

`make run REPLICAS=2 DB=postgresql` (python -m tools.stack run --replicas 2 --db postgresql):

- one database per service on the machine's PostgreSQL (GRIDPLUS_POSTGRES_ADMIN_URL, default
  postgresql://postgres@127.0.0.1:5432/postgres; `gridplus_<service>`, created when missing),
  migrated once before any replica starts (as the chart's migration Job does);
- replica r of a service on its own ports: the single stack's plus 100 × r (grid-registry gRPC
  50051, 50151; metrics 9101, 9201; petition HTTP 8080, 8180);
- clients reach every replica: GRIDPLUS_<SVC>_ADDR lists them all (see `client_address`);
- each replica its own static Kafka group member (`<service>-<replica>`), so a restarted one takes
  its partitions back at once;
- a supervisor restarts a process that dies (kill -9 included) and the broker, logs it, and
  rewrites `var/stack.json` with the new pid: {"processes": [{"service", "replica", "pid", "grpc",
  "http" (petition only), "metrics"}, …, {"service": "broker", "replica": 0, "pid", "port",
  "upstream"}]}
  ("port": the one clients use, the proxy's; "upstream": the broker's own);
- clients reach the broker through a proxy of the stack's (tools/broker_proxy.py), so that a
  broker restart is a controlled shutdown: the proxy drops every client before the broker gets
  SIGTERM (the development broker acknowledges and loses produce requests while it exits).

Photos: every petition replica shares GRIDPLUS_VAR_DIR, so the local photo directory is shared,
as a ReadWriteMany claim shares it in the chart.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg

from gridplus.kit.topology import PETITION_HTTP_PORT, SERVICES
from tools.broker_proxy import BrokerProxy
from tools.stack import CONSOLE, ROOT, START_ORDER, LocalStack, Ports, wait_serving

ADMIN_URL = os.environ.get(
    "GRIDPLUS_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PORT_STEP = 100  # replica r listens on the single stack's ports + PORT_STEP * r


@dataclass(frozen=True)
class Replica:
    package: str
    index: int
    grpc: int
    metrics: int
    http: int | None = None  # petition only

    @property
    def key(self) -> str:
        return f"{self.package}.{self.index}"

    @property
    def name(self) -> str:
        return f"{SERVICES[self.package].name}[{self.index}]"


def default_replicas(count: int) -> list[Replica]:
    return [
        Replica(
            package,
            r,
            spec.grpc_port + PORT_STEP * r,
            spec.metrics_port + PORT_STEP * r,
            PETITION_HTTP_PORT + PORT_STEP * r if package == "petition" else None,
        )
        for package, spec in SERVICES.items()
        for r in range(count)
    ]


def client_address(ports: list[int]) -> str:
    """What GRIDPLUS_<SVC>_ADDR holds for a service with these gRPC ports: every replica,
    `127.0.0.1:p1,127.0.0.1:p2` (kit/grpc_client.py balances round robin over the list)."""
    return ",".join(f"127.0.0.1:{port}" for port in ports)


def ensure_database(name: str) -> str:
    """The database `name` on the admin URL's server, created when missing; its URL."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ScaledStack(LocalStack):
    """The broker and `replicas` processes of each service, kept running by a supervisor."""

    def __init__(
        self,
        var_dir: Path,
        replicas: list[Replica],
        *,
        broker_port: int = 9092,
        webhook_receiver: int = 8099,
        database: str = "postgresql",
        database_prefix: str = "gridplus",
        extra_env: Mapping[str, str] = {},
    ) -> None:
        first = {r.package: r for r in replicas if r.index == 0}
        ports = Ports(
            grpc={p: r.grpc for p, r in first.items()},
            metrics={p: r.metrics for p, r in first.items()},
            http=first["petition"].http or PETITION_HTTP_PORT,
            broker=broker_port,
            webhook_receiver=webhook_receiver,
        )
        super().__init__(var_dir, ports, extra_env)
        self.replicas = {r.key: r for r in replicas}
        self.database = database
        self.database_names = {p: f"{database_prefix}_{p}" for p in START_ORDER}
        self.database_urls: dict[str, str] = {}
        self.restarts: list[tuple[str, int]] = []  # (replica key, exit code) as restarted
        self._lock = threading.RLock()  # supervisor vs deliberate kills and broker restarts
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        # Clients use ports.broker, the proxy's; the broker itself listens on a free port.
        self.broker_upstream = _free_port()
        self.proxy: BrokerProxy | None = None

    # -- configuration ------------------------------------------------------------------------

    def replicas_of(self, package: str) -> list[Replica]:
        return sorted(
            (r for r in self.replicas.values() if r.package == package), key=lambda r: r.index
        )

    def http_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{r.http}" for r in self.replicas_of("petition")]

    def env(self) -> dict[str, str]:
        env = super().env()
        for package, spec in SERVICES.items():
            env[f"{spec.env_prefix}_ADDR"] = client_address(
                [r.grpc for r in self.replicas_of(package)]
            )
            if package in self.database_urls:
                env[f"{spec.env_prefix}_DATABASE_URL"] = self.database_urls[package]
        env.update(self.extra_env)
        return env

    def replica_env(self, replica: Replica) -> dict[str, str]:
        env = self.env()
        prefix = SERVICES[replica.package].env_prefix
        env[f"{prefix}_GRPC_PORT"] = str(replica.grpc)
        env[f"{prefix}_METRICS_PORT"] = str(replica.metrics)
        if replica.http is not None:
            env["GRIDPLUS_PETITION_HTTP_PORT"] = str(replica.http)
        env["GRIDPLUS_KAFKA_GROUP_INSTANCE_ID"] = f"{replica.package}-{replica.index}"
        return env

    def database_url(self, package: str) -> str:
        if package in self.database_urls:
            return self.database_urls[package]
        return f"sqlite:///{self.var_dir}/{package}.db"

    # -- processes ----------------------------------------------------------------------------

    def broker(self, action: str) -> None:
        """tools/broker.sh on the broker's own port, behind the proxy."""
        env = {**self.env(), "GRIDPLUS_BROKER_PORT": str(self.broker_upstream)}
        subprocess.run([str(ROOT / "tools/broker.sh"), action], env=env, check=True)

    def start(self, *, timeout: float = 120.0, console: bool = False) -> None:
        """As LocalStack.start; one console is enough whatever the replicas (it is stateless
        and reaches every replica through the services' balanced addresses)."""
        if self.database == "postgresql":
            for package, name in self.database_names.items():
                self.database_urls[package] = ensure_database(name)
        self.broker("start")
        self.proxy = BrokerProxy(self.ports.broker, self.broker_upstream)
        self.proxy.start()
        # Once, before any replica starts (as the chart's migration Job): no two replicas
        # migrate one database at once. The five databases migrate side by side.
        with ThreadPoolExecutor(len(START_ORDER)) as pool:
            list(pool.map(lambda package: self.run_command(package, "migrate"), START_ORDER))
        self.load_demo()
        for package in START_ORDER:
            for replica in self.replicas_of(package):
                self.start_replica(replica)
        if console:
            self.start_console()
        self.wait_ready(timeout=timeout)
        if console:
            self.wait_console(timeout=timeout)
        self.write_state()
        self._supervisor = threading.Thread(target=self._supervise, name="stack-supervisor")
        self._supervisor.daemon = True
        self._supervisor.start()

    def run_command(self, package: str, *args: str, env: Mapping[str, str] = {}) -> str:
        done = subprocess.run(
            [sys.executable, "-m", f"gridplus.{package}", *args],
            env={**self.env(), **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{package} {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start_replica(self, replica: Replica) -> None:
        logs = self.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{replica.package}-{replica.index}.log", "ab") as log:
            self.processes[replica.key] = subprocess.Popen(
                [sys.executable, "-m", f"gridplus.{replica.package}", "serve"],
                env=self.replica_env(replica),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, packages: list[str] | None = None, *, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for package in packages or START_ORDER:
            for replica in self.replicas_of(package):
                self._wait_replica(replica, deadline)

    def _wait_replica(self, replica: Replica, deadline: float) -> None:
        wait_serving(
            f"127.0.0.1:{replica.grpc}",
            replica.name,
            lambda: self.processes.get(replica.key),
            self.var_dir / "logs" / f"{replica.package}-{replica.index}.log",
            deadline,
        )

    def pid(self, replica: Replica) -> int:
        return self.processes[replica.key].pid

    def broker_pid(self) -> int | None:
        pidfile = self.var_dir / "broker" / "broker.pid"
        try:
            return int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def kill_replica(self, package: str, index: int) -> int:
        """kill -9 one replica, as a crash would; the supervisor starts it again."""
        pid = self.pid(self.replicas[f"{package}.{index}"])
        os.kill(pid, signal.SIGKILL)
        return pid

    def restart_broker(self, *, grace: float = 60.0, drain: float = 0.5) -> None:
        """A controlled shutdown, as Kafka's: the proxy closes every client connection and refuses
        new ones, the broker has `drain` s to finish what it already read, gets SIGTERM, and as
        long as `grace` to exit (tools/broker.sh stop turns to SIGKILL after 5 s); it starts
        again and the proxy lets clients in. Why the proxy: noida-db 0.2.3 still acknowledges
        produce requests between its SIGTERM snapshot and its exit, and then loses them
        (measured: ~50 of ~150 acked in those 60 ms). Behind the proxy no client is connected
        then, so nothing it acknowledges reaches a producer: unacknowledged, it is sent again."""
        with self._lock:
            if self.proxy is not None:
                self.proxy.pause()
            time.sleep(drain)
            pid = self.broker_pid()
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + grace
                while _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
            self.broker("stop")  # SIGKILL only if it is still there after the grace
            self.broker("start")
            if self.proxy is not None:
                self.proxy.resume()
            self.write_state()

    def write_state(self) -> None:
        processes: list[dict[str, object]] = []
        for package in START_ORDER:
            for replica in self.replicas_of(package):
                entry: dict[str, object] = {
                    "service": SERVICES[package].name,
                    "replica": replica.index,
                    "pid": self.pid(replica),
                    "grpc": replica.grpc,
                }
                if replica.http is not None:
                    entry["http"] = replica.http
                entry["metrics"] = replica.metrics
                processes.append(entry)
        console = self.processes.get(CONSOLE)
        if console is not None:
            processes.append(
                {"service": CONSOLE, "replica": 0, "pid": console.pid, "http": self.ports.console}
            )
        processes.append(
            {
                "service": "broker",
                "replica": 0,
                "pid": self.broker_pid(),
                "port": self.ports.broker,
                "upstream": self.broker_upstream,
            }
        )
        path = self.var_dir / "stack.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps({"processes": processes}, indent=2))
        temporary.replace(path)

    def state(self) -> dict:
        return dict(json.loads((self.var_dir / "stack.json").read_text()))

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._restart_the_dead()
                except (OSError, subprocess.CalledProcessError) as exc:
                    self._log(f"restart failed ({exc}); trying again")

    def _restart_the_dead(self) -> None:
        changed = False
        for replica in self.replicas.values():
            process = self.processes.get(replica.key)
            if process is None or process.poll() is None:
                continue
            self._log(f"{replica.name} pid {process.pid} exited ({process.returncode}); restarting")
            self.restarts.append((replica.key, process.returncode))
            self.start_replica(replica)
            changed = True
        console = self.processes.get(CONSOLE)
        if console is not None and console.poll() is not None:
            self._log(f"console pid {console.pid} exited ({console.returncode}); restarting")
            self.restarts.append((CONSOLE, console.returncode))
            self.start_console()
            changed = True
        pid = self.broker_pid()
        if pid is None or not _alive(pid):
            self._log(f"broker pid {pid} is gone; restarting")
            # An unreaped (zombie) broker still answers kill -0: broker.sh would think it runs.
            (self.var_dir / "broker" / "broker.pid").unlink(missing_ok=True)
            self.broker("start")
            changed = True
        if changed:
            self.write_state()

    def _log(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp} stack: {line}", flush=True)
        with open(self.var_dir / "logs" / "stack.log", "a") as log:
            log.write(f"{stamp} {line}\n")

    def exited(self) -> list[str]:
        """Replicas not running right now (between a crash and the supervisor's restart)."""
        return [k for k, p in self.processes.items() if p.poll() is not None]

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(30)  # it may be starting a process: let it finish
        with self._lock:
            if self.proxy is not None:
                self.proxy.close()
            super().stop()

    def drop_databases(self) -> None:
        for name in self.database_names.values():
            drop_database(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone (the broker is nohup'ed by broker.sh: not our child).
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def run_scaled(var_dir: Path, *, replicas: int, database: str) -> None:
    stack = ScaledStack(var_dir, default_replicas(replicas), database=database)
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        stack.start(console=True)
        print(f"Grid+ ready ({replicas} replicas per service, {database}):", flush=True)
        for url in stack.http_urls():
            print(f"  {url}", flush=True)
        print(f"Grid+ console: {stack.console_url}/", flush=True)
        print(f"  processes: {var_dir}/stack.json  logs: {var_dir}/logs/", flush=True)
        print(f"  credentials: {var_dir}/dev-credentials.json", flush=True)
        stopping.wait()
    finally:
        stack.stop()
        print("Grid+ stopped", flush=True)
