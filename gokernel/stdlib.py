"""Standard-library package names for auto-imports, from the toolchain's own `go list std`.

Cached on disk per Go version and GOROOT (the list only changes with the toolchain).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_cache_dir

from .atomic import atomic_write_text

# When several std packages share a name, the one people mean.
_PREFERRED: dict[str, tuple[str, ...]] = {
    "rand": ("math/rand", "math/rand/v2"),
    "template": ("text/template",),
    "scanner": ("text/scanner",),
    "pprof": ("runtime/pprof",),
    "parser": ("go/parser",),
    "constant": ("go/constant",),
    "format": ("go/format",),
}

# Used when `go list` fails (no toolchain yet, broken GOROOT): the packages cells use most.
FALLBACK: dict[str, str] = {
    name: path
    for path in (
        "bufio", "bytes", "cmp", "context", "crypto/sha256", "encoding/base64", "encoding/binary", "encoding/csv",
        "encoding/hex", "encoding/json", "errors", "flag", "fmt", "hash/fnv", "io", "io/fs", "iter", "log",
        "maps", "math", "math/big", "math/bits", "math/cmplx", "math/rand", "net", "net/http", "net/url", "os",
        "os/exec", "os/signal", "path", "path/filepath", "reflect", "regexp", "runtime", "slices", "sort",
        "strconv", "strings", "sync", "sync/atomic", "testing", "text/tabwriter", "text/template", "time",
        "unicode", "unicode/utf8", "unsafe",
    )
    for name in [path.rsplit("/", 1)[-1]]
}  # fmt: skip


def choose(packages: list[tuple[str, str]]) -> dict[str, str]:
    """package name -> import path from (import path, name) pairs; internal/vendor/cmd dropped."""
    by_name: dict[str, list[str]] = {}
    for path, name in packages:
        parts = path.split("/")
        if "internal" in parts or "vendor" in parts or parts[0] == "cmd" or name in ("main", ""):
            continue
        by_name.setdefault(name, []).append(path)
    chosen: dict[str, str] = {}
    for name, paths in by_name.items():
        preferred = [p for p in _PREFERRED.get(name, ()) if p in paths]
        chosen[name] = preferred[0] if preferred else min(paths, key=lambda p: (len(p), p))
    return dict(sorted(chosen.items()))


def _neutral_dir() -> str:
    # Not the kernel's cwd: a go.mod there (broken, or asking for another toolchain) must not affect `go list std`.
    return tempfile.gettempdir()


def _cache_file(go: str, env: Mapping[str, str]) -> Path | None:
    try:
        out = subprocess.run(
            [go, "env", "GOVERSION", "GOROOT"],
            env=dict(env),
            cwd=_neutral_dir(),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    version, goroot = (out + ["", ""])[:2]
    if not version:
        return None
    digest = hashlib.sha256(goroot.encode()).hexdigest()[:10]
    return Path(user_cache_dir("gokernel")) / "std" / f"{version}-{digest}.json"


def std_packages(go: str, env: Mapping[str, str]) -> dict[str, str]:
    """Std package name -> import path for the toolchain `go`; FALLBACK when `go` cannot list them."""
    cache = _cache_file(go, env)
    if cache is not None:
        try:
            cached = json.loads(cache.read_text())
        except (OSError, ValueError, RecursionError):
            cached = None
        # Anything but a non-empty {name: path} of strings is a corrupt cache: list std again and rewrite it.
        if isinstance(cached, dict) and cached and all(isinstance(v, str) for v in cached.values()):
            return cached
    try:
        out = subprocess.run(
            [go, "list", "-f", "{{.ImportPath}} {{.Name}}", "std"],
            env=dict(env),
            cwd=_neutral_dir(),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return dict(FALLBACK)
    pairs = [(p[0], p[1]) for p in (line.split() for line in out.splitlines()) if len(p) == 2]
    table = choose(pairs)
    if not table:
        return dict(FALLBACK)
    if cache is not None:
        # A read-only cache dir only costs a `go list` per kernel start.
        with contextlib.suppress(OSError):
            atomic_write_text(cache, json.dumps(table, indent=0, sort_keys=True))
    return table
