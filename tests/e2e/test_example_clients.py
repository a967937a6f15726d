"""The example department clients (examples/python, examples/node) run as a department's developer
runs them: as processes, against the running platform, with a department's token in
GRIDPLUS_TOKEN and dispatch's address in GRIDPLUS_DISPATCH_ADDR. Their overdue list is the one
dispatch's ListOverdue gives that department; they stream a petition assigned to it while they
watch (and another department's watcher does not); they list the whistles summoning the
department and report it to one the test blows, once; and a foreign or forged token gets a
clear error, not data."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridplus.api.dispatch.v1 import dispatch_pb2 as pb
from gridplus.api.dispatch.v1 import dispatch_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from tests.e2e.client import TIMES_SQUARE, channel, grpc_metadata, submit, wait_for_status
from tests.support.eventually import eventually
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "examples" / "node"
SEWER = "nyc.sewer"  # DEP's; the shared e2e stack turns it red 2 s after assignment
DEPARTMENT = "DEP"
CLIENTS = ["python", "node"]
EVENTS_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def node_ready() -> None:
    """The Node example's packages, as `make examples-node` installs them (npm ci, pinned)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed (Debian: apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / ".package-lock.json").exists():
        subprocess.run(
            ["npm", "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"],
            check=True,
            timeout=300,
        )


def token(stack: LocalStack, department: str, *, secret: str | None = None) -> str:
    jwt = JwtSettings(secret or stack.credentials["jwt_secret"], "gridplus")
    subject = f"s-{department.lower()}-example"
    return mint_token(jwt, subject=subject, role=Role.DEPARTMENT_STAFF, department=department)


def command(client: str, *args: str) -> list[str]:
    if client == "python":
        return [sys.executable, str(ROOT / "examples/python/department_client.py"), *args]
    return ["node", str(NODE_DIR / "client.js"), *args]


def client_env(stack: LocalStack, bearer: str) -> dict[str, str]:
    """What a department's machine has: a PATH, the token and the address; nothing of ours."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GRIDPLUS_TOKEN": bearer,
        "GRIDPLUS_DISPATCH_ADDR": f"127.0.0.1:{stack.ports.grpc['dispatch']}",
    }


def run(
    stack: LocalStack, client: str, bearer: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(client, *args),
        env=client_env(stack, bearer),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def sewer_petition(stack: LocalStack, title: str) -> str:
    body = {"title": title, "description": "Sewer backing up at the corner", "category": SEWER}
    petition_id = submit(stack, {**body, **TIMES_SQUARE})
    wait_for_status(stack, petition_id, "ASSIGNED", timeout=EVENTS_TIMEOUT)
    return petition_id


def expected_line(a: pb.Assignment) -> dict[str, Any]:
    return {
        "petition_id": a.petition_id,
        "department_code": a.department_code,
        "category": a.category,
        "grid_code": a.grid.code,
        "assignee_id": a.assignee_id,
        "step": pb.AssignmentStep.Name(a.step),
        "deadline": a.deadline.ToJsonString(),
        "light": pb.Light.Name(a.light),
    }


def test_the_overdue_list_is_the_departments_list_overdue(
    stack: LocalStack, node_ready: None
) -> None:
    late = {sewer_petition(stack, f"Sewer overflow {n}") for n in range(2)}
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    dep = token(stack, DEPARTMENT)
    as_dep = [("authorization", f"Bearer {dep}")]

    def listed() -> list[pb.Assignment]:
        request = pb.ListOverdueRequest(page_size=1000)
        return list(dispatch.ListOverdue(request, metadata=as_dep, timeout=5).assignments)

    eventually(lambda: late <= {a.petition_id for a in listed()}, "both red", timeout=20)
    expected = [expected_line(a) for a in listed()]
    assert all(line["department_code"] == DEPARTMENT for line in expected)
    for client in CLIENTS:
        done = run(stack, client, dep, "overdue")
        assert done.returncode == 0, (client, done.stderr)
        assert lines(done.stdout) == expected, client

    # Another department's token lists its own overdue petitions: none of DEP's.
    dot = run(stack, "node", token(stack, "DOT"), "overdue")
    assert dot.returncode == 0, dot.stderr
    assert not late & {line["petition_id"] for line in lines(dot.stdout)}
    # A token signed with another secret is refused with a clear error and no data.
    forged = token(stack, DEPARTMENT, secret="not-the-platform-secret-" * 2)
    for client in CLIENTS:
        refused = run(stack, client, forged, "overdue")
        assert refused.returncode == 1, client
        assert refused.stdout == ""
        assert "error: UNAUTHENTICATED" in refused.stderr, (client, refused.stderr)


class Watcher:
    """One client's `watch` running as a process; its stdout lines collected as they come."""

    def __init__(self, stack: LocalStack, client: str, bearer: str) -> None:
        self.process = subprocess.Popen(
            command(client, "watch"),
            env=client_env(stack, bearer),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        assert self.process.stdout and self.process.stderr
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        started = self.process.stderr.readline()
        assert "watching" in started, started

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(json.loads(line))

    def wait_for(self, petition_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if line["petition_id"] == petition_id:
                return line
        raise AssertionError(f"{petition_id} not streamed; saw {self.seen}")

    def drain(self) -> list[dict[str, Any]]:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.seen

    def stop(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=15)
        assert self.process.stderr
        self.stderr = self.process.stderr.read()
        return code


def resume(stack: LocalStack, client: str, after: int) -> list[dict[str, Any]]:
    """What `watch --after` prints in 3 s."""
    bearer = token(stack, DEPARTMENT)
    done = run(stack, client, bearer, "watch", "--after", str(after), "--seconds", "3")
    assert done.returncode == 0, (client, done.stderr)
    return lines(done.stdout)


def streamed(stack: LocalStack, watcher: Watcher, submitted: set[str]) -> dict[str, Any]:
    """The change streamed for a sewer petition reported while `watcher` runs. On a busy machine
    dispatch may take the watch call after the first one is assigned (the watch starts from
    then): a petition reported later must be streamed."""
    for attempt in range(3):
        for petition_id in sorted(submitted):
            if petition_id in {line["petition_id"] for line in watcher.drain()}:
                return next(line for line in watcher.seen if line["petition_id"] == petition_id)
        petition_id = sewer_petition(stack, f"Sewer smell on the block ({attempt})")
        submitted.add(petition_id)
        try:
            return watcher.wait_for(petition_id, timeout=EVENTS_TIMEOUT / 2)
        except AssertionError:
            continue
    raise AssertionError(f"none of {submitted} streamed; saw {watcher.seen}")


@pytest.fixture
def watchers(stack: LocalStack, node_ready: None) -> Iterator[dict[str, Watcher]]:
    started = {client: Watcher(stack, client, token(stack, DEPARTMENT)) for client in CLIENTS}
    started["other"] = Watcher(stack, "python", token(stack, "DOT"))
    yield started
    for watcher in started.values():
        if watcher.process.poll() is None:
            watcher.process.kill()


def test_the_watch_streams_a_new_assignment_of_the_department(
    stack: LocalStack, watchers: dict[str, Watcher]
) -> None:
    time.sleep(1.0)  # the watch starts from the change log's end when dispatch takes the call
    submitted: set[str] = set()
    changes = {}
    for client in CLIENTS:
        change = changes[client] = streamed(stack, watchers[client], submitted)
        assert change["department_code"] == DEPARTMENT
        assert change["category"] == SEWER
        assert change["closed"] is False
        assert isinstance(change["change_id"], int) and change["change_id"] > 0
    # Resumed after the change before it, a watch starts with that change (the assignment as it
    # is now); resumed after the change itself, it does not repeat it. (after_change_id 0 means
    # "from now on", so the stack's very first change cannot be replayed.)
    for client, change in changes.items():
        if change["change_id"] > 1:
            replayed = resume(stack, client, after=change["change_id"] - 1)
            assert replayed[0]["change_id"] == change["change_id"], client
            assert replayed[0]["petition_id"] == change["petition_id"], client
        later = resume(stack, client, after=change["change_id"])
        assert all(line["change_id"] > change["change_id"] for line in later), client
    time.sleep(1.5)  # longer than the watch's poll: DOT's watcher had its chance to see them
    assert not submitted & {line["petition_id"] for line in watchers["other"].drain()}
    for name, watcher in watchers.items():
        assert watcher.stop() == 0, (name, watcher.stderr)


def test_the_department_reports_to_a_whistle_once(stack: LocalStack, node_ready: None) -> None:
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    dep = token(stack, DEPARTMENT)
    for client in CLIENTS:
        petition_id = sewer_petition(stack, f"Sewer grate missing ({client})")
        blow = pb.BlowWhistleRequest(
            petition_id=petition_id, department_codes=[DEPARTMENT, "DOT"], reason="grate gone"
        )
        whistle = dispatch.BlowWhistle(blow, metadata=grpc_metadata(stack), timeout=5).whistle
        assert owed_by(stack, client, dep, whistle.whistle_id) == {DEPARTMENT, "DOT"}

        done = run(stack, client, dep, "report", whistle.whistle_id, "--note", "crew on the way")
        assert done.returncode == 0, (client, done.stderr)
        [reported] = lines(done.stdout)
        assert reported["whistle_id"] == whistle.whistle_id
        assert reported["petition_id"] == petition_id
        assert reported["department_code"] == DEPARTMENT
        assert reported["on_time"] is True
        assert reported["reported_at"] <= reported["deadline"]
        assert owed_by(stack, client, dep, whistle.whistle_id) == {"DOT"}

        again = run(stack, client, dep, "report", whistle.whistle_id, "--note", "again")
        assert again.returncode == 1, client
        assert f"department {DEPARTMENT} has already reported" in again.stderr, again.stderr
        # A department the whistle did not summon learns nothing about it.
        nypd = run(stack, client, token(stack, "NYPD"), "report", whistle.whistle_id, "--note", "x")
        assert nypd.returncode == 1, client
        assert "error: NOT_FOUND" in nypd.stderr, nypd.stderr
        assert owed_by(stack, client, token(stack, "NYPD"), whistle.whistle_id) is None


def owed_by(stack: LocalStack, client: str, bearer: str, whistle_id: str) -> set[str] | None:
    """The departments that still owe a report on `whistle_id`, as the client's `whistles`
    lists them; None when the whistle is not listed."""
    done = run(stack, client, bearer, "whistles")
    assert done.returncode == 0, (client, done.stderr)
    for whistle in lines(done.stdout):
        if whistle["whistle_id"] == whistle_id:
            return {r["department_code"] for r in whistle["reports"] if not r["reported_at"]}
    return None
