"""The real Kafka-protocol broker for tests, started through tools/broker.sh on its own port."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class Broker:
    def __init__(self, var_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.var_dir = var_dir
        self.bootstrap = f"127.0.0.1:{self.port}"

    def _run(self, action: str) -> None:
        env = {
            **os.environ,
            "GRIDPLUS_BROKER_PORT": str(self.port),
            "GRIDPLUS_VAR_DIR": str(self.var_dir),
            "VENV": str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv"))),
        }
        subprocess.run([str(ROOT / "tools/broker.sh"), action], env=env, check=True)

    def start(self) -> Broker:
        self._run("start")
        return self

    def stop(self) -> None:
        self._run("stop")

    def kill(self) -> None:
        """kill -9: what a crash looks like."""
        pid_file = self.var_dir / "broker" / "broker.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
            pid_file.unlink()
