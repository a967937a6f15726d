#!/usr/bin/env bash
# Install Debian's chromium (driven headless by Playwright in the browser tests) and CJK fonts (the
# pages speak Chinese). Idempotent and quick: a no-op when chromium is on PATH and the fonts are
# there. Needs root (or sudo) otherwise. Playwright's own browser download is not used.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  exit 0
fi

"$(dirname "$0")/apt-install.sh" install-chromium chromium fonts-noto-cjk
command -v chromium >/dev/null
