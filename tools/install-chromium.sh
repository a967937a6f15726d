#!/usr/bin/env bash
# Install Debian's chromium (driven headless by Playwright in the browser tests) and CJK fonts (the
# pages speak Chinese). Idempotent and quick: a no-op when chromium is on PATH and the fonts are
# there. Needs root (or sudo) otherwise. Playwright's own browser download is not used.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  exit 0
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-chromium: chromium missing and not root: apt-get install chromium fonts-noto-cjk" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
command -v chromium >/dev/null
