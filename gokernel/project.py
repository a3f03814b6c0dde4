"""Notebooks inside Go projects: find the module or workspace around the notebook and attach it.

Attaching never edits the project: the scratch module's own go.mod gets a `require` + `replace` pair per
project module (marked with a comment, regenerated every cell), so cells import the project's packages
straight from its directories, the project's own requirements take part in version selection, and
`!go get` in the notebook changes only the scratch module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MARK = "// gokernel-project"
_MODULE_LINE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)
_PSEUDO = "v0.0.0-00010101000000-000000000000"


@dataclass(frozen=True)
class Module:
    path: str  # module path, e.g. example.com/proj
    dir: str  # absolute directory holding its go.mod


@dataclass(frozen=True)
class Project:
    kind: str  # "module" | "workspace"
    file: str  # the go.mod or go.work that defines it
    modules: tuple[Module, ...]

    def describe(self) -> str:
        lines = [f"{self.kind} {self.file}"]
        lines += [f"  {m.path}  {m.dir}" for m in self.modules]
        return "\n".join(lines)


def module_path(gomod: Path) -> str | None:
    try:
        m = _MODULE_LINE.search(gomod.read_text())
    except (OSError, UnicodeDecodeError):
        return None
    return m[1].strip('"') if m else None


def _workspace(work: Path, go: str, env: Mapping[str, str]) -> Project | None:
    """The modules a go.work uses, as the go command reads it."""
    try:
        out = subprocess.run(
            [go, "work", "edit", "-json", str(work)], env=dict(env), capture_output=True, text=True, timeout=30
        )
        data = json.loads(out.stdout) if out.returncode == 0 else None
    except (OSError, ValueError, RecursionError, subprocess.SubprocessError):
        data = None
    uses = data.get("Use") if isinstance(data, dict) else None
    if not isinstance(uses, list):
        return None
    modules = []
    for use in uses:
        rel = use.get("DiskPath") if isinstance(use, dict) else None
        if not isinstance(rel, str):
            continue
        d = (work.parent / rel).resolve()
        path = module_path(d / "go.mod")
        if path:
            modules.append(Module(path, str(d)))
    return Project("workspace", str(work), tuple(modules)) if modules else None


def find(start: Path, go: str, env: Mapping[str, str]) -> Project | None:
    """The workspace or module that `start` (the notebook's directory) is inside, if any."""
    gowork = env.get("GOWORK", "")
    if gowork and gowork != "off" and Path(gowork).is_file():
        return _workspace(Path(gowork), go, env)
    for d in [start, *start.parents]:
        if (d / "go.work").is_file() and gowork != "off":
            return _workspace(d / "go.work", go, env)
        if (d / "go.mod").is_file():
            path = module_path(d / "go.mod")
            return Project("module", str(d / "go.mod"), (Module(path, str(d)),)) if path else None
    return None


def at(path: Path, go: str, env: Mapping[str, str]) -> Project | None:
    """`%project PATH`: the module or workspace whose go.mod / go.work is in (or is) PATH."""
    p = path.expanduser().resolve()
    if p.is_file():
        p = p.parent
    if (p / "go.work").is_file():
        return _workspace(p / "go.work", go, env)
    if (p / "go.mod").is_file():
        mod = module_path(p / "go.mod")
        return Project("module", str(p / "go.mod"), (Module(mod, str(p)),)) if mod else None
    return None


def without(gomod: str) -> str:
    """go.mod text with gokernel's project lines removed."""
    lines = [line for line in gomod.split("\n") if MARK not in line]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def attached(gomod: str, project: Project | None) -> str:
    """go.mod text requiring and replacing every project module with its directory."""
    text = without(gomod).rstrip("\n") + "\n"
    if project is None:
        return text
    own = _MODULE_LINE.search(text)
    lines = [""]
    for m in project.modules:
        if own and m.path == own[1]:
            continue
        lines.append(f"require {m.path} {_PSEUDO} {MARK}")
        lines.append(f"replace {m.path} => {json.dumps(m.dir)} {MARK}")
    return text + "\n".join(lines) + "\n"


def start_dir(notebook: str | None) -> Path:
    """Jupyter starts a kernel in its notebook's directory; an absolute session name says it too."""
    if notebook and os.path.isabs(notebook):
        return Path(notebook).parent
    return Path(os.getcwd())
