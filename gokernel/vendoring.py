"""Vendored projects: cells build with the project's `vendor/` code, offline, as `-mod=vendor` would.

Only a module's *main* module may use its vendor directory, and the scratch module is the main module of
every cell build. So the kernel gives each vendored module a stand-in module directory (a go.mod it
writes, plus the module's vendored packages as symlinks to the files in `vendor/`) and the scratch go.mod
requires and replaces the module with that directory. Directory replacements need no module cache, no
network and no go.sum; the project's files are never touched, and edits inside `vendor/` show through the
links. The stand-ins are rebuilt (into a new directory, then swapped) when vendor/modules.txt or the set of
vendored files changes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MODULES_TXT = "modules.txt"
_HEADER = re.compile(r"^#\s+(\S+)(?:\s+(v\S+))?(?:\s+=>\s+.*)?$")
_GO_ANNOTATION = re.compile(r"(?:^|;)\s*go\s+(\d+\.\d+(?:\.\d+)?)")
# Files the go command compiles or links from a package directory: linked, so edits show at once.
# Everything else (embedded data, testdata the package reads) is copied: //go:embed refuses symlinks.
_SOURCE_SUFFIXES = (".go", ".s", ".S", ".sx", ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".syso")


@dataclass
class VendoredModule:
    path: str
    version: str
    go: str | None = None  # the module's go version, from `## explicit; go 1.21`
    workspace: bool = False  # a workspace's own module (`## workspace`): it is used from its directory
    packages: list[str] = field(default_factory=list)


def parse_modules_txt(text: str) -> list[VendoredModule]:
    """vendor/modules.txt as `go mod vendor` / `go work vendor` write it."""
    modules: list[VendoredModule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("## "):
            if modules:
                ann = line[3:]
                if "workspace" in (a.strip() for a in ann.split(";")):
                    modules[-1].workspace = True
                m = _GO_ANNOTATION.search(ann)
                if m:
                    modules[-1].go = m[1]
            continue
        if line.startswith("#"):
            m = _HEADER.match(line)
            if m:
                modules.append(VendoredModule(m[1], m[2] or ""))
            continue
        if modules:
            modules[-1].packages.append(line)
    return modules


def go_version_at_least(version: str | None, major: int, minor: int) -> bool:
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return m is not None and (int(m[1]), int(m[2])) >= (major, minor)


def vendor_mode(root: Path, go_version: str | None, goflags: str, workspace: bool) -> Path | None:
    """The vendor directory the go command would use for the project at `root`, if any.

    As cmd/go decides: a vendor/modules.txt and a go version of 1.14 (1.22 for a workspace) or newer turn
    vendoring on unless GOFLAGS says -mod=mod or -mod=readonly.
    """
    vendor = root / "vendor"
    if not (vendor / MODULES_TXT).is_file():
        return None
    mod_flags = [f for f in goflags.split() if f.startswith("-mod=")]
    if mod_flags and mod_flags[-1] != "-mod=vendor":
        return None
    if mod_flags or go_version_at_least(go_version, *((1, 22) if workspace else (1, 14))):
        return vendor
    return None


def _signature(vendor: Path, modules_txt: bytes, modules: list[VendoredModule]) -> str:
    """Changes when modules.txt or any vendored package directory's set of files changes."""
    h = hashlib.sha256(str(vendor).encode())
    h.update(modules_txt)
    for mod in modules:
        for pkg in mod.packages:
            try:
                st = (vendor / pkg).stat()
            except OSError:
                continue
            h.update(f"{pkg}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:16]


def _fill_package(src: Path, dst: Path, subpackages: set[Path]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        s = Path(entry.path)
        if entry.is_dir():
            if s not in subpackages:  # embedded data directories; packages get their own pass
                shutil.copytree(s, dst / entry.name, dirs_exist_ok=True)
        elif entry.name.endswith(_SOURCE_SUFFIXES):
            (dst / entry.name).symlink_to(s)
        else:
            shutil.copy2(s, dst / entry.name)


def _build(vendor: Path, modules: list[VendoredModule], target: Path, default_go: str | None) -> None:
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        package_dirs = {vendor / p for mod in modules for p in mod.packages}
        for i, mod in enumerate(modules):
            root = tmp / str(i)
            root.mkdir()
            go = mod.go or default_go
            (root / "go.mod").write_text(f"module {mod.path}\n" + (f"\ngo {go}\n" if go else ""))
            for pkg in mod.packages:
                rel = pkg[len(mod.path) :].lstrip("/") if pkg.startswith(mod.path) else None
                src = vendor / pkg
                if rel is None or not src.is_dir():
                    continue
                _fill_package(src, root / rel, package_dirs)
        try:
            tmp.rename(target)
        except OSError:  # another kernel of this notebook built the same stand-ins first
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def stand_ins(vendor: Path, cache: Path, default_go: str | None) -> dict[str, tuple[str, str]]:
    """Module path -> (version, stand-in directory) for every vendored module outside the project itself.

    `cache` is a directory of the kernel's own (the scratch module's build dir); stand-ins of older
    vendor states in it are removed.
    """
    modules_txt = (vendor / MODULES_TXT).read_bytes()  # read once per cell: parsed and hashed
    modules = [m for m in parse_modules_txt(modules_txt.decode()) if not m.workspace]
    sig = _signature(vendor, modules_txt, modules)
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / sig
    if not target.is_dir():
        _build(vendor, modules, target, default_go)
        for old in cache.iterdir():
            if old.name != sig and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return {m.path: (m.version, str(target / str(i))) for i, m in enumerate(modules)}
