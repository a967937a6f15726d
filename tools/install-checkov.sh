#!/usr/bin/env bash
# Install checkov (PyPI) into its own venv, .tools/checkov (repo-local, gitignored), and print the
# path of its executable.
#
# checkov pulls in ~100 packages with their own pins (boto3, networkx, ...); in the project's venv
# they would fight constraints.txt, so it gets a venv of its own. Idempotent: a no-op when the
# wanted version is already there.
set -euo pipefail
# The Makefile exports PYTHONPATH=services: pip would then see the project's egg-info beside the
# checkov venv and report the project's own pins as conflicts.
unset PYTHONPATH

CHECKOV_VERSION="3.3.30"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo_root}/.tools/checkov"
checkov_bin="${venv}/bin/checkov"

installed_version() {
  "${venv}/bin/python" -c 'from checkov.version import version; print(version)' 2>/dev/null || true
}

if [[ -x "${checkov_bin}" && "$(installed_version)" == "${CHECKOV_VERSION}" ]]; then
  echo "${checkov_bin}"
  exit 0
fi

python_bin="${PYTHON:-python3}"
echo "install-checkov: installing checkov ${CHECKOV_VERSION} into ${venv}" >&2
rm -rf "${venv}"
"${python_bin}" -m venv "${venv}"
"${venv}/bin/pip" install -q --disable-pip-version-check -c "${repo_root}/tools/checkov-constraints.txt" \
  "checkov==${CHECKOV_VERSION}" >&2

got="$(installed_version)"
if [[ "${got}" != "${CHECKOV_VERSION}" ]]; then
  echo "install-checkov: expected checkov ${CHECKOV_VERSION}, got '${got}'" >&2
  exit 1
fi
echo "${checkov_bin}"
