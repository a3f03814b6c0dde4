"""Notebooks inside Go projects: find the module or workspace around the notebook and attach it.

Attaching never edits the project: the scratch module's own go.mod gets a `require` + `replace` pair per
project module (marked with a comment, regenerated every cell), so cells import the project's packages
straight from its directories, the project's own requirements take part in version selection, and
`!go get` in the notebook changes only the scratch module. A vendored project's dependencies come from its
`vendor/` directory (see vendoring.py), so it builds offline as `-mod=vendor` would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from . import vendoring

MARK = "// gokernel-project"
_MODULE_LINE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)
_GO_LINE = re.compile(r"^\s*go\s+(\S+)", re.MULTILINE)
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
    vendor: str | None = None  # the vendor directory the go command would build the project with
    # The project's replace directives (its go.mod's, or its modules' and go.work's), as `old => new` with
    # local paths made absolute: they apply only in a main module, so the scratch module repeats them.
    replaces: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        lines = [f"{self.kind} {self.file}"]
        lines += [f"  {m.path}  {m.dir}" for m in self.modules]
        if self.vendor:
            lines.append(f"  dependencies from {self.vendor} (as -mod=vendor: offline)")
        return "\n".join(lines)

    @property
    def go_version(self) -> str | None:
        """The go directive of the project's go.mod / go.work."""
        try:
            m = _GO_LINE.search(Path(self.file).read_text())
        except (OSError, UnicodeDecodeError):
            return None
        return m[1] if m else None


def _complete(found: Project | None, go: str, env: Mapping[str, str]) -> Project | None:
    """The project with what its go.mod/go.work say beyond its modules: replacements, vendoring."""
    if found is None:
        return None
    file = Path(found.file)
    replaces: dict[str, str] = {}
    for m in found.modules:
        replaces.update(
            _replacements(_edit_json(go, ["mod", "edit", "-json", str(Path(m.dir) / "go.mod")], env), m.dir)
        )
    if found.kind == "workspace":  # go.work's replacements win over its modules'
        replaces.update(_replacements(_edit_json(go, ["work", "edit", "-json", str(file)], env), str(file.parent)))
    vendor = vendoring.vendor_mode(file.parent, found.go_version, env.get("GOFLAGS", ""), found.kind == "workspace")
    return replace(found, vendor=str(vendor) if vendor else None, replaces=tuple(replaces.items()))


def _edit_json(go: str, args: list[str], env: Mapping[str, str]) -> dict[str, object] | None:
    """`go mod edit -json` / `go work edit -json`: the file as the go command reads it."""
    try:
        out = subprocess.run([go, *args], env=dict(env), capture_output=True, text=True, timeout=30)
        data = json.loads(out.stdout) if out.returncode == 0 else None
    except (OSError, ValueError, RecursionError, subprocess.SubprocessError):
        return None
    return data if isinstance(data, dict) else None


def _replacements(data: dict[str, object] | None, base: str) -> dict[str, str]:
    found: dict[str, str] = {}
    entries = data.get("Replace") if data else None
    for entry in entries if isinstance(entries, list) else []:
        old, new = (entry.get(k) if isinstance(entry, dict) else None for k in ("Old", "New"))
        if not (isinstance(old, dict) and isinstance(new, dict) and isinstance(old.get("Path"), str)):
            continue
        target, version = new.get("Path"), new.get("Version")
        if not isinstance(target, str):
            continue
        left = " ".join(filter(None, [old["Path"], old.get("Version") or ""]))
        if version:  # a module path at a version
            found[left] = f"{target} {version}"
        else:  # a directory, relative to the file that says it
            found[left] = json.dumps(str((Path(base) / target).resolve()))
    return found


def module_path(gomod: Path) -> str | None:
    try:
        m = _MODULE_LINE.search(gomod.read_text())
    except (OSError, UnicodeDecodeError):
        return None
    return m[1].strip('"') if m else None


def _workspace(work: Path, go: str, env: Mapping[str, str]) -> Project | None:
    """The modules a go.work uses, as the go command reads it."""
    data = _edit_json(go, ["work", "edit", "-json", str(work)], env)
    uses = data.get("Use") if data else None
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
    return _complete(_find(start, go, env), go, env)


def _find(start: Path, go: str, env: Mapping[str, str]) -> Project | None:
    gowork = env.get("GOWORK", "")
    if gowork and gowork != "off" and Path(gowork).is_file():
        return _workspace(Path(gowork), go, env)
    dirs = [start, *start.parents]
    mod_dir = next((d for d in dirs if (d / "go.mod").is_file()), None)
    module = None
    if mod_dir is not None:
        path = module_path(mod_dir / "go.mod")
        module = Project("module", str(mod_dir / "go.mod"), (Module(path, str(mod_dir)),)) if path else None
    # As the go command does, a go.work in any directory above wins, when it uses the module we are in.
    work_dir = next((d for d in dirs if (d / "go.work").is_file()), None) if gowork != "off" else None
    if work_dir is not None:
        ws = _workspace(work_dir / "go.work", go, env)
        if ws is not None and (mod_dir is None or any(Path(m.dir) == mod_dir.resolve() for m in ws.modules)):
            return ws
    return module


def at(path: Path, go: str, env: Mapping[str, str]) -> Project | None:
    """`%project PATH`: the module or workspace whose go.mod / go.work is in (or is) PATH."""
    return _complete(_at(path, go, env), go, env)


def _at(path: Path, go: str, env: Mapping[str, str]) -> Project | None:
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


def attached(gomod: str, project: Project | None, stand_ins: Mapping[str, tuple[str, str]] | None = None) -> str:
    """go.mod text requiring and replacing every project module with its directory.

    `stand_ins` (module path -> (version, directory)) are a vendored project's dependencies.
    """
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
    stand_ins = stand_ins or {}
    for path, (version, directory) in sorted(stand_ins.items()):
        if own and path == own[1]:
            continue
        lines.append(f"require {path} {version or _PSEUDO} {MARK}")
        lines.append(f"replace {path} => {json.dumps(directory)} {MARK}")
    ours = {m.path for m in project.modules} | set(stand_ins)
    for left, right in project.replaces:
        if left.split()[0] not in ours:  # the project's own modules and vendored code are replaced above
            lines.append(f"replace {left} => {right} {MARK}")
    return text + "\n".join(lines) + "\n"


def start_dir(notebook: str | None) -> Path:
    """Jupyter starts a kernel in its notebook's directory; an absolute session name says it too."""
    if notebook and os.path.isabs(notebook):
        return Path(notebook).parent
    return Path(os.getcwd())
