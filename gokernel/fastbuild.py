"""Build a cell's program with the Go compiler and linker directly instead of `go build`.

A warm `go build` of a one-file main spends most of its ~300 ms re-deciding that only main changed
(loading the module graph, hashing every dependency) and writing DWARF. The kernel knows more: the
import set rarely changes between cells. So it asks `go list -export -deps` once per import set for the
compiled dependencies (an importcfg, cached on disk), then runs `compile` and `link -s -w` itself,
about 0.1 s per cell. Anything unusual (cgo in the cell, `//go:embed`, GOFLAGS, a failed link, a
dependency missing from the build cache) returns None and the caller uses `go build`, which stays the
reference behaviour. Compile errors are returned as they are: the compiler prints the same
`main.go:L:C: msg` lines that `go build` shows.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from . import runner
from .atomic import atomic_write_text
from .scratch import DEPENDENCY_FILES, go_directive_version
from .toolchains import Toolchain

# Compose writes exactly one import block; these are its lines (`"fmt"`, `_gkos "os"`, `u "github.com/x/y"`).
_IMPORT_BLOCK = re.compile(r"^import \(\n(?P<body>.*?)^\)", re.MULTILINE | re.DOTALL)
_IMPORT_LINE = re.compile(r'^\s*(?:[\w.]+\s+)?"(?P<path>[^"]+)"', re.MULTILINE)
_SINGLE_IMPORT = re.compile(r'^import\s+(?:[\w.]+\s+)?"(?P<path>[^"]+)"', re.MULTILINE)
_NEEDS_GO_COMMAND = re.compile(r'^\s*import\s+"C"|^\s*//go:(embed|generate)|^\s*import\s*\(\s*[^)]*"C"', re.MULTILINE)
# Environment that changes what `go build` would do; with any of these set, let the go command do it.
_GO_COMMAND_ONLY = ("GOEXPERIMENT", "GOAMD64", "GOARM", "GO386", "GOPPC64", "GORISCV64", "GOWASM", "GOOS", "GOARCH")
KEEP_IMPORTCFGS = 64  # one per import set seen lately; older ones are rebuilt on demand
_LIST_FORMAT = "{{if .Export}}packagefile {{.ImportPath}}={{.Export}}{{end}}"


def imports_of(source: str) -> list[str]:
    """Import paths of a generated Go file."""
    paths = [m["path"] for m in _SINGLE_IMPORT.finditer(source)]
    for block in _IMPORT_BLOCK.finditer(source):
        paths.extend(m["path"] for m in _IMPORT_LINE.finditer(block["body"]))
    return sorted(set(paths))


def eligible(files: Mapping[str, str], env: Mapping[str, str]) -> bool:
    if env.get("GOKERNEL_BUILD") == "go":
        return False
    flags = [f for f in env.get("GOFLAGS", "").split() if not f.startswith("-mod=")]
    if flags or any(env.get(k) for k in _GO_COMMAND_ONLY):
        return False
    return not any(_NEEDS_GO_COMMAND.search(text) for text in files.values())


class FastBuilder:
    """Builds run-mode cells of one scratch module.

    importcfgs live in `cfg_dir`, shared by all notebooks: every scratch module has the same module path,
    so the same toolchain, import set and go.mod/go.sum give the same compiled dependencies.
    """

    def __init__(self, root: Path, build_dir: Path, cfg_dir: Path | None = None) -> None:
        self.root = root
        self.build_dir = build_dir
        self.cfg_dir = cfg_dir or build_dir
        self._tooldir: dict[str, Path] = {}

    def tooldir(self, tc: Toolchain, env: Mapping[str, str]) -> Path | None:
        if tc.id not in self._tooldir:
            try:
                out = subprocess.run(
                    [tc.go, "env", "GOTOOLDIR"], env=dict(env), capture_output=True, text=True, timeout=30
                )
            except (OSError, subprocess.SubprocessError):
                return None
            path = Path(out.stdout.strip())
            if out.returncode != 0 or not (path / "compile").exists() or not (path / "link").exists():
                return None
            self._tooldir[tc.id] = path
        return self._tooldir[tc.id]

    def _key(self, tc: Toolchain, imports: list[str], env: Mapping[str, str]) -> str:
        h = hashlib.sha256()
        for part in (tc.id, tc.go, *imports, env.get("CGO_ENABLED", ""), env.get("GOFLAGS", "")):
            h.update(part.encode() + b"\0")
        for name in DEPENDENCY_FILES:  # requirements and module-local packages change the export data
            p = self.root / name
            h.update(p.read_bytes() if p.exists() else b"\0missing")
        return h.hexdigest()[:24]

    def importcfg(self, tc: Toolchain, env: Mapping[str, str], imports: list[str]) -> Path | None:
        """A cached importcfg with every (transitive) dependency's compiled export file; None if unavailable."""
        cfg = self.cfg_dir / f"importcfg-{self._key(tc, imports, env)}"
        if cfg.exists() and _complete(cfg, imports):
            return cfg
        wanted = sorted(set(imports) | {"runtime"})  # the linker always needs runtime and its deps
        res = runner.run(
            [tc.go, "list", "-mod=mod", "-e", "-export", "-deps", "-f", _LIST_FORMAT, *wanted],
            cwd=self.root,
            env=env,
        )
        if res.returncode != 0 or res.interrupted:
            return None
        # go list -mod=mod may have added requirements: key the file by the module files as they are now.
        cfg = self.cfg_dir / f"importcfg-{self._key(tc, imports, env)}"
        self.cfg_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cfg, res.captured_stdout)
        _prune(self.cfg_dir, keep=KEEP_IMPORTCFGS)
        return cfg if _complete(cfg, imports) else None

    def build(
        self, tc: Toolchain, env: Mapping[str, str], files: Mapping[str, str], output: str
    ) -> runner.ProcessResult | None:
        """Compile and link the module's main package; None means "use go build instead"."""
        tools = self.tooldir(tc, env)
        sources = sorted(n for n in files if n.endswith(".go") and not n.endswith("_test.go"))
        if tools is None or not sources:
            return None
        imports = sorted({p for n in sources for p in imports_of(files[n])})
        cfg = self.importcfg(tc, env, imports)
        if cfg is None:
            return None
        # Next to the output, not in the module's shared build dir: kernels sharing a notebook build at once.
        archive = f"{output}.a"
        lang = f"-lang=go{go_directive_version(tc.version)}"
        compiled = runner.run(
            [str(tools / "compile"), "-o", archive, "-p", "main", "-importcfg", str(cfg), "-pack", "-complete", lang,
             *sources],
            cwd=self.root,
            env=env,
        )  # fmt: skip
        if compiled.returncode != 0 or compiled.interrupted:
            # The compiler prints errors on stdout; go build shows them on stderr, where callers look.
            compiled.captured_stderr = compiled.captured_stdout + compiled.captured_stderr
            compiled.captured_stdout = ""
            return compiled
        linked = runner.run(
            [str(tools / "link"), "-s", "-w", "-buildmode=exe", "-importcfg", str(cfg), "-o", output, archive],
            cwd=self.root,
            env=env,
        )
        if linked.interrupted:
            return linked
        if linked.returncode != 0:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(output)
            return None
        return linked


def _complete(cfg: Path, imports: list[str]) -> bool:
    """Every import has an export file that still exists (the build cache may have been trimmed)."""
    try:
        lines = cfg.read_text().splitlines()
    except (OSError, ValueError):  # unreadable or not UTF-8: a corrupt cache entry, rebuilt by the caller
        return False
    files: dict[str, str] = {}
    for line in lines:
        if line.startswith("packagefile "):
            path, _, export = line.removeprefix("packagefile ").partition("=")
            files[path] = export
    if not all(p in files for p in (*imports, "runtime")):
        return False
    return all(os.path.exists(export) for export in files.values())


def _prune(build_dir: Path, keep: int) -> None:
    cfgs = sorted(build_dir.glob("importcfg-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in cfgs[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
