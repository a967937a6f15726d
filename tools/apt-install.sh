#!/usr/bin/env bash
# Install Debian packages as root, through sudo when not root: the one place the project's
# install scripts (install-chromium.sh, install-prometheus.sh) get system packages from.
# Usage: tools/apt-install.sh CALLER PACKAGE...  (CALLER names the script in the error message)
set -euo pipefail

caller="$1"
shift

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "$caller: not root and no sudo: apt-get install $*" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
