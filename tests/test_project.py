"""Notebooks inside Go projects: the module or workspace around the notebook is attached to the scratch
module, so cells import its packages, see edits at once, and never change the project's files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from gokernel import kernelstate

from .kernel_client import Execution, GoKernelDriver


def ok(k: GoKernelDriver, code: str, **kw: Any) -> Execution:
    ex = k.execute(code, **kw)
    assert ex.status == "ok", (ex.error, ex.stream("stderr"), code)
    return ex


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def kernel_in(notebook_dir: Path, **env: str) -> GoKernelDriver:
    notebook_dir.mkdir(parents=True, exist_ok=True)
    # As JupyterLab does: the kernel starts in the notebook's directory, the session name is relative.
    return GoKernelDriver(env={"JPY_SESSION_NAME": f"{notebook_dir.name}/explore.ipynb", **env}, cwd=str(notebook_dir))


@pytest.fixture
def module(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root / "go.mod", "module example.com/proj\n\ngo 1.22\n")
    write(root / "mathx" / "mathx.go", "package mathx\n\n// Double doubles.\nfunc Double(x int) int { return 2 * x }\n")
    return root


@pytest.mark.parametrize("mode", ["live", "fresh"])
def test_module_packages_import_edits_show_and_the_project_is_untouched(module: Path, mode: str) -> None:
    gomod = (module / "go.mod").read_bytes()
    k = kernel_in(module / "notebooks", GOKERNEL_MODE=mode)
    try:
        assert ok(k, 'import "example.com/proj/mathx"\n\nmathx.Double(21)').result == "42"
        shown = ok(k, "%project").stream()
        assert shown.startswith("attached: module ") and "example.com/proj" in shown
        # What the sidebar's running-kernel rows show (through the server extension).
        states = [st for st in kernelstate.read_all().values() if st.get("project")]
        assert any(st["project"] == str(module / "go.mod") and st["mode"] == mode for st in states), states
        # An edit to the project is what the next cell gets (nothing copied, nothing stale).
        write(module / "mathx" / "mathx.go", "package mathx\n\nfunc Double(x int) int { return 3 * x }\n")
        assert ok(k, "mathx.Double(2)").result == "6"
        ex = k.execute(
            "%%test\nfunc TestDouble(t *testing.T) {\n\tif mathx.Double(2) != 6 {\n\t\tt.Fatal(mathx.Double(2))\n\t}\n}"
        )
        assert ex.status == "ok", ex.error
        assert (module / "go.mod").read_bytes() == gomod
        assert not (module / "go.sum").exists() and not (module / "go.work").exists()
        ok(k, "%project off")
        gone = k.execute('import "example.com/proj/mathx"\n\nmathx.Double(1)')
        assert gone.status == "error" and "example.com/proj" in gone.reply["content"]["evalue"]
    finally:
        k.shutdown()


def test_workspace_modules_and_project_path(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write(ws / "go.work", "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n")
    write(ws / "a" / "go.mod", "module example.com/a\n\ngo 1.22\n")
    write(ws / "a" / "a.go", 'package a\n\nimport "example.com/b"\n\nfunc A() string { return b.B() + "a" }\n')
    write(ws / "b" / "go.mod", "module example.com/b\n\ngo 1.22\n")
    write(ws / "b" / "b.go", 'package b\n\nfunc B() string { return "b" }\n')
    k = kernel_in(ws / "nb")
    try:
        assert ok(k, 'import "example.com/a"\n\na.A()').result == '"ba"'
        shown = ok(k, "%project").stream()
        assert "workspace" in shown and "example.com/a" in shown and "example.com/b" in shown
    finally:
        k.shutdown()
    # %project DIR attaches a project from anywhere.
    k = kernel_in(tmp_path / "elsewhere")
    try:
        assert "no project attached" in ok(k, "%project").stream()
        ok(k, f"%project {ws / 'b'}")
        assert ok(k, 'import "example.com/b"\n\nb.B()').result == '"b"'
    finally:
        k.shutdown()
    assert not os.path.exists(ws / "go.work.sum")
