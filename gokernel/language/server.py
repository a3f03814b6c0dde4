"""One gopls per kernel: its workspace directory, the open view document, its lifecycle.

The workspace is a small directory of the kernel's own (under gokernel's cache dir, removed at shutdown and
by the next kernel when a kernel was killed): a `gkview` module holding the view file, and a `go.work` that
uses it together with the notebook's scratch module, so the view imports `scratch/display` and every module
the scratch module requires without copying its go.mod. Nothing is written into the scratch module.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

from ..kernelstate import remove_dirs_of_dead_kernels
from ..scratch import go_directive_version
from ..toolchains import Toolchain, cache_dir
from .lsp import LspClient

VIEW_FILE = "zz_gokernel_view.go"
_DIR_PREFIX = "kernel-"


def workspaces_root() -> Path:
    return cache_dir() / "language"


def remove_dead_workspaces(root: Path) -> None:
    remove_dirs_of_dead_kernels(root, _DIR_PREFIX)


def make_workspace(scratch_root: Path, tc: Toolchain) -> Path:
    root = workspaces_root()
    root.mkdir(parents=True, exist_ok=True)
    remove_dead_workspaces(root)
    ws = root / f"{_DIR_PREFIX}{os.getpid()}"
    ws.mkdir(exist_ok=True)
    directive = go_directive_version(tc.version)
    (ws / "go.mod").write_text(f"module gkview\n\ngo {directive}\n")
    # go.work's go line must be at least every module's: the toolchain's own version is.
    version = tc.version.removeprefix("go") if tc.version.startswith("go1.") else directive
    (ws / "go.work").write_text(f"go {version}\n\nuse (\n\t.\n\t{_quote(str(scratch_root))}\n)\n")
    (ws / VIEW_FILE).write_text("package main\n")
    return ws


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uri(path: Path) -> str:
    return path.resolve().as_uri()


class GoplsServer:
    """A running gopls with the view open; `sync` and `request` are called from the kernel's thread."""

    def __init__(self, binary: Path, tc: Toolchain, env: dict[str, str], scratch_root: Path) -> None:
        self.tc = tc
        self.scratch_root = scratch_root
        self.workspace = make_workspace(scratch_root, tc)
        self.view_uri = uri(self.workspace / VIEW_FILE)
        self.client = LspClient([str(binary)], cwd=str(self.workspace), env=env)
        self._version = 0
        self._text: str | None = None
        self._watched: dict[Path, float] = {}
        self._lock = threading.Lock()  # the warm-up thread and the kernel's thread both send edits

    @property
    def alive(self) -> bool:
        return self.client.alive

    def initialize(self, timeout: float) -> None:
        ws_uri = uri(self.workspace)
        self.client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": ws_uri,
                "workspaceFolders": [{"uri": ws_uri, "name": "gokernel"}],
                "capabilities": {
                    "textDocument": {
                        "completion": {
                            "completionItem": {"snippetSupport": False, "documentationFormat": ["plaintext"]},
                        },
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "synchronization": {"didSave": False},
                    },
                    "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": False}},
                },
                "initializationOptions": {
                    "usePlaceholders": False,
                    "deepCompletion": False,  # `id.Version().String` entries crowd a Jupyter completer
                    "hoverKind": "FullDocumentation",
                    "linksInHover": False,
                    "completionBudget": "100ms",
                },
            },
            timeout,
        )
        self.client.notify("initialized", {})
        self._watched = self._stat_watched()

    def _stat_watched(self) -> dict[Path, float]:
        out: dict[Path, float] = {}
        for name in ("go.mod", "go.sum", "display/display.go"):
            p = self.scratch_root / name
            try:
                out[p] = p.stat().st_mtime
            except OSError:
                out[p] = -1.0
        return out

    def sync(self, text: str) -> None:
        """Make gopls see `text` as the view and the scratch module's go.mod/go.sum as they are now."""
        with self._lock:
            now = self._stat_watched()
            changed = [p for p, m in now.items() if self._watched.get(p) != m]
            if changed:
                # gopls does not watch files itself: a new requirement (an import cell's `go get`) must be told.
                self._watched = now
                self.client.notify(
                    "workspace/didChangeWatchedFiles",
                    {"changes": [{"uri": uri(p), "type": 2 if now[p] >= 0 else 3} for p in changed]},
                )
            if self._text == text:
                return
            self._version += 1
            if self._text is None:
                self.client.notify(
                    "textDocument/didOpen",
                    {
                        "textDocument": {
                            "uri": self.view_uri,
                            "languageId": "go",
                            "version": self._version,
                            "text": text,
                        }
                    },
                )
            else:
                self.client.notify(
                    "textDocument/didChange",
                    {
                        "textDocument": {"uri": self.view_uri, "version": self._version},
                        "contentChanges": [{"text": text}],
                    },
                )
            self._text = text

    def request(self, method: str, line: int, character: int, timeout: float, **extra: Any) -> Any:
        params = {"textDocument": {"uri": self.view_uri}, "position": {"line": line, "character": character}}
        return self.client.request(method, {**params, **extra}, timeout)

    def stop(self) -> None:
        self.client.kill()
        shutil.rmtree(self.workspace, ignore_errors=True)
