"""The per-notebook scratch Go module: a directory with go.mod/go.sum and the generated sources.

It outlives the kernel (keyed by the notebook path), so module requirements downloaded once are
reused after a restart. Every file is written atomically: a kernel killed mid-cell leaves either
the old or the new file, never half of one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from filelock import FileLock
from platformdirs import user_cache_dir

from .atomic import atomic_write_text, write_if_changed
from .kernelstate import remove_dirs_of_dead_kernels

MODULE_PATH = "scratch"
# The kernel's rich-output package lives inside every scratch module; cells get it by writing `display.HTML(...)`.
DISPLAY_IMPORT_PATH = f"{MODULE_PATH}/display"
_DISPLAY_FILE = "display/display.go"
# Files of the module besides the generated cell sources that every build depends on.
DEPENDENCY_FILES = ("go.mod", "go.sum", _DISPLAY_FILE)
_GO_DIRECTIVE = re.compile(r"^go\s+\S+\s*$", re.MULTILINE)
_TOOLCHAIN_DIRECTIVE = re.compile(r"^toolchain\s+\S+\s*\n", re.MULTILINE)
_GENERATED = ("main.go", "main_test.go")
_KERNEL_DIR_PREFIX = "kernel-"


@functools.cache
def _display_source() -> str:
    # Read once per process: ensure_display_package runs before every cell.
    return (resources.files("gokernel") / "gosrc" / "display.go").read_text()


def scratch_root() -> Path:
    base = os.environ.get("GOKERNEL_SCRATCH_DIR")
    return Path(base) if base else Path(user_cache_dir("gokernel")) / "scratch"


def _slug(notebook: str) -> str:
    stem = Path(notebook).stem or "notebook"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem)[:40].strip("-.") or "notebook"
    return f"{safe}-{hashlib.sha256(_path_bytes(notebook)).hexdigest()[:10]}"


def _path_bytes(name: str) -> bytes:
    """Bytes to key a name by; never raises.

    A notebook path that is not UTF-8 reaches Python (os.environ) with its bytes as surrogate escapes;
    those give back the original bytes. Other lone surrogates (from JSON, say) are encoded as they are.
    """
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")


def remove_dead_kernel_dirs(build_dir: Path) -> None:
    """Delete the per-kernel build directories of kernels that are gone (killed, crashed, shut down)."""
    remove_dirs_of_dead_kernels(build_dir, _KERNEL_DIR_PREFIX)


def go_directive_version(go_version: str) -> str:
    """`go1.27.3` -> `1.27`; release candidates and odd strings fall back to their major.minor."""
    m = re.match(r"go(\d+)\.(\d+)", go_version)
    return f"{m[1]}.{m[2]}" if m else "1.21"


class ScratchModule:
    """A Go module directory that holds one notebook's generated program."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.build_dir = root / ".gokernel"
        self.build_dir.mkdir(exist_ok=True)
        # Two kernels on the same notebook must not interleave writes and builds.
        self.lock = FileLock(str(self.build_dir / "lock"))
        # ... nor run each other's programs: the module's sources are shared (under the lock), but what a
        # kernel built and may reuse without rebuilding lives in a directory of its own process.
        remove_dead_kernel_dirs(self.build_dir)
        self.own_dir = self.build_dir / f"{_KERNEL_DIR_PREFIX}{os.getpid()}"
        self.own_dir.mkdir(exist_ok=True)

    @classmethod
    def for_notebook(cls, notebook: str | None) -> ScratchModule:
        key = notebook or f"anonymous-{os.getpid()}"
        return cls(scratch_root() / _slug(key))

    @property
    def gomod(self) -> Path:
        return self.root / "go.mod"

    def ensure_gomod(self, go_version: str) -> None:
        """Create go.mod, or make its `go` line follow the active toolchain (so switching down works)."""
        directive = f"go {go_directive_version(go_version)}"
        try:
            text = self.gomod.read_text()
        except FileNotFoundError:
            atomic_write_text(self.gomod, f"module {MODULE_PATH}\n\n{directive}\n")
            return
        new = _GO_DIRECTIVE.sub(directive, text, count=1) if _GO_DIRECTIVE.search(text) else text + f"\n{directive}\n"
        # A toolchain line (added by `go get` under a newer Go) would make an older local Go refuse the module.
        new = _TOOLCHAIN_DIRECTIVE.sub("", new)
        write_if_changed(self.gomod, new)

    def ensure_display_package(self) -> None:
        source = _display_source()
        path = self.root / _DISPLAY_FILE
        path.parent.mkdir(exist_ok=True)
        write_if_changed(path, source)

    def write(self, files: Mapping[str, str]) -> None:
        """Write the generated sources; remove generated files that this composition does not have."""
        for name, text in files.items():
            write_if_changed(self.root / name, text)
        for name in _GENERATED:
            if name not in files:
                (self.root / name).unlink(missing_ok=True)

    def digest(self, *extra: str) -> str:
        """Content hash of everything a build depends on in this module (plus `extra` keys)."""
        h = hashlib.sha256()
        for name in (*DEPENDENCY_FILES, *_GENERATED):
            p = self.root / name
            h.update(name.encode())
            h.update(p.read_bytes() if p.exists() else b"\0missing")
        for e in extra:
            h.update(e.encode())
        return h.hexdigest()

    def clear_sources(self) -> None:
        for name in _GENERATED:
            (self.root / name).unlink(missing_ok=True)
