"""Notebooks inside Go projects: the module or workspace around the notebook is attached to the scratch
module, so cells import its packages, see edits at once, and never change the project's files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gokernel import kernelstate

from .kernel_client import GoKernelDriver, ok


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


def vendored_module(root: Path) -> Path:
    """A module whose dependency exists only in its vendor/ directory (no module cache, no proxy)."""
    write(root / "go.mod", "module example.com/vend\n\ngo 1.22\n\nrequire example.org/dep v1.2.3\n")
    write(root / "vendor" / "modules.txt", "# example.org/dep v1.2.3\n## explicit; go 1.21\nexample.org/dep\n")
    dep = root / "vendor" / "example.org" / "dep"
    write(dep / "dep.go", 'package dep\n\nfunc Name() string { return "vendored" }\n')
    # Embedded data must arrive as a regular file (//go:embed refuses symlinks).
    write(dep / "greeting.txt", "hello from vendor/")
    write(
        dep / "embed.go",
        'package dep\n\nimport _ "embed"\n\n//go:embed greeting.txt\nvar Greeting string\n',
    )
    write(
        root / "lib" / "lib.go",
        'package lib\n\nimport "example.org/dep"\n\nfunc Who() string { return "lib uses " + dep.Name() }\n',
    )
    return root


@pytest.mark.parametrize("mode", ["live", "fresh"])
def test_a_vendored_project_builds_offline_with_its_vendored_code(tmp_path: Path, mode: str) -> None:
    root = vendored_module(tmp_path / "vend")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    dep_go = root / "vendor" / "example.org" / "dep" / "dep.go"
    empty_cache = tmp_path / "modcache"
    empty_cache.mkdir()
    k = kernel_in(root / "notebooks", GOKERNEL_MODE=mode, GOPROXY="off", GOMODCACHE=str(empty_cache))
    try:
        ex = ok(k, 'import (\n\t"example.com/vend/lib"\n\t"example.org/dep"\n)\n\nlib.Who() + " / " + dep.Greeting')
        assert ex.result == '"lib uses vendored / hello from vendor/"'
        assert "vendor (as -mod=vendor: offline)" in ok(k, "%project").stream()
        # An edit inside vendor/ is what the next cell gets (the stand-in links to the vendored files).
        write(dep_go, 'package dep\n\nfunc Name() string { return "v2" }\n')
        assert ok(k, "lib.Who()").result == '"lib uses v2"'
        ex = k.execute(
            '%%test\nfunc TestWho(t *testing.T) {\n\tif lib.Who() != "lib uses v2" {\n\t\tt.Fatal(lib.Who())\n\t}\n}'
        )
        assert ex.status == "ok", ex.error
    finally:
        k.shutdown()
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and "notebooks" not in p.parts}
    before[root / "vendor" / "example.org" / "dep" / "dep.go"] = after[
        root / "vendor" / "example.org" / "dep" / "dep.go"
    ]
    assert after == before  # nothing written into the project
    assert not any(empty_cache.iterdir())  # nothing fetched


def test_goflags_mod_mod_turns_vendoring_off_and_mod_vendor_is_honoured(tmp_path: Path) -> None:
    root = vendored_module(tmp_path / "vend")
    k = kernel_in(root / "nb", GOKERNEL_MODE="fresh", GOPROXY="off", GOFLAGS="-mod=mod")
    try:
        assert "vendor" not in ok(k, "%project").stream()
        ex = k.execute('import "example.com/vend/lib"\n\nlib.Who()')
        assert ex.status == "error" and "lookup disabled by GOPROXY=off" in ex.reply["content"]["evalue"]
    finally:
        k.shutdown()
    # A go.mod older than 1.14 vendors only when told to; GOFLAGS=-mod=vendor reaches no scratch build as such.
    write(root / "go.mod", "module example.com/vend\n\ngo 1.13\n\nrequire example.org/dep v1.2.3\n")
    k = kernel_in(root / "nb", GOKERNEL_MODE="fresh", GOPROXY="off", GOFLAGS="-mod=vendor")
    try:
        assert ok(k, 'import "example.com/vend/lib"\n\nlib.Who()').result == '"lib uses vendored"'
    finally:
        k.shutdown()


def test_the_projects_replacements_and_a_vendored_workspace(tmp_path: Path) -> None:
    """replace directives apply only in a main module: the scratch module repeats them (local paths made
    absolute). A workspace vendored with `go work vendor` builds from the workspace's vendor/ directory."""
    ws = tmp_path / "ws"
    write(ws / "depsrc" / "go.mod", "module example.org/wdep\n\ngo 1.21\n")
    write(ws / "depsrc" / "w.go", 'package wdep\n\nfunc W() string { return "from ../depsrc" }\n')
    write(
        ws / "a" / "go.mod",
        "module example.com/a\n\ngo 1.22\n\nrequire example.org/wdep v1.0.0\n\n"
        "replace example.org/wdep v1.0.0 => ../depsrc\n",
    )
    write(ws / "a" / "a.go", 'package a\n\nimport "example.org/wdep"\n\nfunc A() string { return wdep.W() }\n')
    k = kernel_in(ws / "a" / "nb", GOKERNEL_MODE="fresh", GOPROXY="off")
    try:
        assert ok(k, 'import "example.com/a"\n\na.A()').result == '"from ../depsrc"'
    finally:
        k.shutdown()
    # The same module in a vendored workspace: `go work vendor` wrote this modules.txt.
    write(ws / "go.work", "go 1.22\n\nuse ./a\n")
    write(
        ws / "vendor" / "modules.txt",
        "## workspace\n# example.org/wdep v1.0.0 => ./depsrc\n## explicit; go 1.21\nexample.org/wdep\n",
    )
    write(ws / "vendor" / "example.org" / "wdep" / "w.go", 'package wdep\n\nfunc W() string { return "vendored" }\n')
    k = kernel_in(ws / "a" / "nb", GOKERNEL_MODE="live", GOPROXY="off")
    try:
        assert ok(k, 'import "example.com/a"\n\na.A()').result == '"vendored"'
        assert "workspace" in ok(k, "%project").stream()
    finally:
        k.shutdown()
