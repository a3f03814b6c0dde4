"""Where gopls comes from: $GOKERNEL_GOPLS, PATH, the env's bin dirs, gokernel's data dir; else `go install`.

A gopls is built by some Go and can only type-check code of Go versions up to its own, so one found on the
machine is used only when it was built by a Go at least as new as the active toolchain. An install goes
into `data_dir()/gopls/<go version>` (once per machine and Go version, under a lock shared by all kernels)
with the newest gopls that the active Go can build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from filelock import FileLock, Timeout

from ..toolchains import Toolchain, data_dir

GOPLS_MODULE = "golang.org/x/tools/gopls"
INSTALL_TIMEOUT = 900.0  # a cold build of gopls takes ~70 s on 2 cores; a slow proxy may take much longer
_GO_MINOR = re.compile(r"go1\.(\d+)")

# The newest gopls each Go can build (the `go` line of gopls's go.mod), newest first; a Go newer than the
# table tries @latest first. Each query is a version prefix, so it picks up patch releases.
_BY_MIN_GO: tuple[tuple[int, str], ...] = (
    (27, "v0.24"),
    (26, "v0.23"),
    (25, "v0.21"),
    (24, "v0.20"),
    (23, "v0.18"),
    (19, "v0.16"),
)


def go_minor(version: str) -> int | None:
    m = _GO_MINOR.match(version)
    return int(m[1]) if m else None


def install_candidates(go_version: str) -> list[str]:
    """gopls version queries to try for this Go, best first."""
    minor = go_minor(go_version)
    if minor is None:
        return ["latest"]
    queries = ["latest"] if minor > _BY_MIN_GO[0][0] else []
    queries += [q for need, q in _BY_MIN_GO if need <= minor]
    return queries


def installed_path(tc: Toolchain) -> Path:
    return data_dir() / "gopls" / tc.version / "gopls"


def _compatible(binary: Path, tc: Toolchain) -> bool:
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        return False
    try:
        mtime = binary.stat().st_mtime
    except OSError:
        return False
    built = _built_with_go(str(binary), mtime, tc.go)
    need = go_minor(tc.version)
    return built is not None and (need is None or built >= need)


@cache
def _built_with_go(binary: str, mtime: float, go: str) -> int | None:
    """The Go minor version `binary` was built with (`go version FILE` reads its build info)."""
    try:
        out = subprocess.run([go, "version", binary], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r":\s*go1\.(\d+)", out)
    return int(m[1]) if m else None


def find(tc: Toolchain, env: Mapping[str, str]) -> Path | None:
    """A usable gopls already on this machine, or None."""
    candidates: list[Path] = []
    on_path = shutil.which("gopls", path=env.get("PATH"))
    if on_path:
        candidates.append(Path(on_path))
    candidates.append(Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin") / "gopls")
    if env.get("GOBIN"):
        candidates.append(Path(env["GOBIN"]) / "gopls")
    if env.get("GOPATH"):
        candidates += [Path(p) / "bin" / "gopls" for p in env["GOPATH"].split(os.pathsep) if p]
    candidates.append(installed_path(tc))
    for c in dict.fromkeys(candidates):
        if _compatible(c, tc):
            return c
    return None


def install(tc: Toolchain, env: Mapping[str, str], say: Callable[[str], None]) -> Path:
    """`go install` gopls for `tc` into gokernel's data dir (or wait for another kernel doing it)."""
    target = installed_path(tc)
    target.parent.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target.parent.parent / f"{tc.version}.lock"))
    try:
        lock.acquire(timeout=INSTALL_TIMEOUT)
    except Timeout as e:
        raise RuntimeError("another kernel's gopls install did not finish") from e
    try:
        if _compatible(target, tc):
            return target  # another kernel installed it while we waited
        # Holding the lock, every partial dir is a dead install's (a kernel killed mid-build): remove them.
        for stale in target.parent.parent.glob(f"{tc.version}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        partial = target.parent.with_name(f"{tc.version}.partial-{os.getpid()}")
        errors: list[str] = []
        for query in install_candidates(tc.version):
            say(f"gokernel: installing gopls@{query} for {tc.version} into {target.parent} (once per machine) ...")
            build_env = {**env, "GOBIN": str(partial), "GOFLAGS": _without_mod_flag(env.get("GOFLAGS", ""))}
            try:
                out = subprocess.run(
                    [tc.go, "install", f"{GOPLS_MODULE}@{query}"],
                    env=build_env,
                    cwd=str(target.parent.parent),
                    capture_output=True,
                    text=True,
                    timeout=INSTALL_TIMEOUT,
                )
            except (OSError, subprocess.SubprocessError) as e:
                errors.append(f"{query}: {e}")
                continue
            built = partial / "gopls"
            if out.returncode == 0 and built.is_file():
                shutil.rmtree(target.parent, ignore_errors=True)
                partial.rename(target.parent)
                say(f"gokernel: gopls installed ({target})")
                return target
            errors.append(f"{query}: {(out.stderr.strip().splitlines() or ['failed'])[-1]}")
        shutil.rmtree(partial, ignore_errors=True)
        raise RuntimeError("could not install gopls: " + "; ".join(errors))
    finally:
        lock.release()


def _without_mod_flag(goflags: str) -> str:
    # -mod=mod (offline mode's) is refused by `go install pkg@version` and in workspace mode.
    return " ".join(f for f in goflags.split() if not f.startswith("-mod="))


def server_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment gopls runs with: the kernel's go environment, minus what workspace mode refuses."""
    out = dict(env)
    out["GOFLAGS"] = _without_mod_flag(env.get("GOFLAGS", ""))
    out.pop("GOWORK", None)  # the view's own go.work must be the one used
    # x/telemetry would re-exec gopls as a sidecar that may outlive it (and escape the parent-death signal);
    # "2" is its own marker for "already a child: do not fork".
    out["GO_TELEMETRY_CHILD"] = "2"
    return out
