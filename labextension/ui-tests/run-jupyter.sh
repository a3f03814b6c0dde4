#!/usr/bin/env bash
# Started by Playwright's webServer: JupyterLab from $GOKERNEL_VENV with gokernel state isolated in a temp dir,
# so the test's toolchain switches never touch the user's choice, scratch modules or Jupyter config.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
venv=$(cd "${GOKERNEL_VENV:-$here/../../.venv}" && pwd)
port=${GOKERNEL_UI_PORT:-8917}

state=$(mktemp -d "${TMPDIR:-/tmp}/gokernel-ui.XXXXXX")
cleanup() { rm -rf "$state"; }
trap cleanup EXIT

export GOKERNEL_TOOLCHAIN_PATHS
GOKERNEL_TOOLCHAIN_PATHS=$("$here/prepare.sh" "$venv")
# gopls installed once per machine (by the Python tests, into gokernel's default data dir): use it here too,
# instead of a fresh install into this run's own data dir.
shared_gopls=$("$venv/bin/python" -c 'from gokernel import toolchains
from gokernel.language import gopls
p = gopls.installed_path(toolchains.active())
print(p if p.exists() else "")' 2>/dev/null || true)
if [[ -n "$shared_gopls" && -z "${GOKERNEL_GOPLS:-}" ]]; then export GOKERNEL_GOPLS="$shared_gopls"; fi
export GOKERNEL_CONFIG_DIR="$state/gokernel-config"
export GOKERNEL_CACHE_DIR="$state/gokernel-cache"
export GOKERNEL_DATA_DIR="$state/gokernel-data"
export GOKERNEL_SCRATCH_DIR="$state/scratch"
export JUPYTER_CONFIG_DIR="$state/jupyter-config"
export JUPYTER_RUNTIME_DIR="$state/jupyter-runtime"
export JUPYTERLAB_SETTINGS_DIR="$state/lab-settings"
export JUPYTERLAB_WORKSPACES_DIR="$state/lab-workspaces"
export JUPYTERLAB_GALATA_ROOT_DIR="$state/notebooks"
mkdir -p "$JUPYTERLAB_GALATA_ROOT_DIR"
unset GOKERNEL_GO GOROOT GOTOOLCHAIN

"$venv/bin/jupyter" lab --config "$here/jupyter_server_test_config.py" --ServerApp.port="$port" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" || true; cleanup' EXIT INT TERM
wait "$pid"
