#!/usr/bin/env bash
# Install Prometheus and promtool from Debian's `prometheus` package, for `make test` (promtool
# check/test rules and the end-to-end alert test, which runs a real Prometheus).
# Idempotent and quick: a no-op when both binaries are on PATH. Needs root (or sudo) otherwise.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi

"$(dirname "$0")/apt-install.sh" install-prometheus prometheus
# The package starts a system Prometheus where an init system runs; tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  if [[ "$(id -u)" -eq 0 ]]; then systemctl disable --now prometheus >/dev/null 2>&1 || true
  else sudo systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
fi
command -v promtool >/dev/null && command -v prometheus >/dev/null
