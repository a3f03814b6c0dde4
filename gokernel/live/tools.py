"""Build the live session's Go programs with the active toolchain: the rewriter and the host.

Both are shipped as Go source in the wheel (gokernel/gosrc/live) and built on first use. The rewriter is
standalone (std only) and cached in gokernel's cache dir per toolchain and source; the host is built inside
the notebook's scratch module, because cell plugins must link against the very same `scratch/gkrt` package.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from .. import runner
from ..atomic import write_if_changed
from ..scratch import ScratchModule
from ..toolchains import Toolchain
from ..toolchains import cache_dir as gokernel_cache_dir

RT_PATH = "scratch/gkrt"
# Files the host build writes into the scratch module (module-relative path -> packaged source).
HOST_SOURCES = {
    "gkrt/gkrt.go": "gkrt/gkrt.go",
    "gkhost/main.go": "gkhost/main.go",
    "gkhost/dup_linux.go": "gkhost/dup_linux.go",
    "gkhost/dup_other.go": "gkhost/dup_other.go",
    "gkhost/stdio.go": "gkhost/stdio.go",
}
REWRITER_SOURCES = ("rewrite/main.go", "rewrite/go.mod")


class LiveUnavailable(RuntimeError):
    """The live machinery cannot be built or started here; the message says why."""


@functools.cache
def _source(name: str) -> str:
    return (resources.files("gokernel") / "gosrc" / "live" / name).read_text()


def _digest(tc: Toolchain, names: tuple[str, ...]) -> str:
    h = hashlib.sha256(tc.id.encode() + tc.version.encode())
    for name in names:
        h.update(name.encode() + b"\0" + _source(name).encode())
    return h.hexdigest()[:16]


def _build(argv: list[str], cwd: Path, env: Mapping[str, str], what: str) -> None:
    res = runner.run(argv, cwd=cwd, env=env)
    if res.interrupted:
        raise KeyboardInterrupt
    if res.returncode != 0:
        detail = (res.captured_stderr or res.captured_stdout).strip().splitlines()
        raise LiveUnavailable(f"building the {what} failed: {' / '.join(detail[-3:])}")


def rewriter_binary(tc: Toolchain, env: Mapping[str, str]) -> Path:
    out = gokernel_cache_dir() / "tools" / f"gkrewrite-{_digest(tc, REWRITER_SOURCES)}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        for name in REWRITER_SOURCES:
            (Path(tmp) / Path(name).name).write_text(_source(name))
        partial = Path(tmp) / "gkrewrite"
        _build([tc.go, "build", "-o", str(partial), "."], Path(tmp), {**env, "GOFLAGS": "-mod=mod"}, "live rewriter")
        partial.replace(out)  # atomic: another kernel may be building the same one
    _prune(out.parent)
    return out


def write_host_sources(scratch: ScratchModule) -> None:
    for dest, name in HOST_SOURCES.items():
        path = scratch.root / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        write_if_changed(path, _source(name))


def host_binary(tc: Toolchain, env: Mapping[str, str], scratch: ScratchModule) -> Path:
    """The host for `tc`, shared by all notebooks: plugins check only that `scratch/gkrt` (same source, same
    toolchain, std only) is the package they were compiled against, not which module directory built it."""
    write_host_sources(scratch)  # the notebook's plugins compile against its own copy of gkrt
    digest = _digest(tc, tuple(HOST_SOURCES.values()))
    out = gokernel_cache_dir() / "tools" / f"gkhost-{digest}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        module = ScratchModule(Path(tmp))
        module.ensure_gomod(tc.version)  # the same module path and go directive as every scratch module
        write_host_sources(module)
        partial = Path(tmp) / "gkhost.bin"  # not "gkhost": that is the source package's directory
        _build(
            # -trimpath here and in every plugin build: export data then records module-relative file names,
            # so gkrt compiled in any scratch module is the very package the host holds.
            [tc.go, "build", "-trimpath", "-mod=mod", "-o", str(partial), "./gkhost"],
            module.root,
            {**env, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod"},
            "live session host",
        )
        partial.replace(out)
    _prune(out.parent)
    return out


KEEP_TOOLS = 8  # builds per tool kept in the cache (one per toolchain and gokernel version in use)


def _prune(tools_dir: Path) -> None:
    for prefix in ("gkhost-", "gkrewrite-"):
        built = sorted(
            (p for p in tools_dir.glob(f"{prefix}*") if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in built[KEEP_TOOLS:]:
            with contextlib.suppress(OSError):
                old.unlink()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def warm(tc: Toolchain, env: Mapping[str, str], packages: tuple[str, ...]) -> None:
    """Build what a new live session needs before its first cell: the rewriter, the host, and `packages`
    (with their dependencies) compiled for plugins into the Go build cache. For images and Binder."""
    from .builder import PluginBuilder

    rewriter_binary(tc, env)
    with tempfile.TemporaryDirectory() as tmp:
        module = ScratchModule(Path(tmp))
        module.ensure_gomod(tc.version)
        module.ensure_display_package()
        host_binary(tc, env, module)
        res = PluginBuilder(tc, env, module.root, module.build_dir).ensure([*packages, RT_PATH, "scratch/display"])
        if res is not None and res.returncode != 0:
            raise LiveUnavailable(f"compiling packages for plugins failed: {res.captured_stderr.strip()[-300:]}")
