"""`%go` magic on real toolchains (same code paths as the CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gokernel import toolchains
from gokernel.go_magic import ToolchainSession, run_go_magic
from tests.toolchain_fixtures import GO_OLD, go_roots_fixture, isolated_toolchains_fixture  # noqa: F401


def add_sdk_go(home: Path, goroot: Path) -> None:
    (home / "sdk").mkdir()
    (home / "sdk" / "go1.22.10").symlink_to(goroot)


def test_list_marks_the_one_in_use(isolated_toolchains: Path, go_roots: dict[str, Path]) -> None:
    add_sdk_go(isolated_toolchains, go_roots[GO_OLD])
    session = ToolchainSession()
    out = run_go_magic(["list"], session)
    assert out.error is None and out.html and "<table>" in out.html
    marked = [line for line in out.text.splitlines() if line.startswith("*")]
    assert len(marked) == 1 and session.current().id in marked[0]
    assert "go" + GO_OLD in out.text


def test_use_version_is_per_notebook_and_default_clears(isolated_toolchains: Path, go_roots) -> None:
    add_sdk_go(isolated_toolchains, go_roots[GO_OLD])
    session, other = ToolchainSession(), ToolchainSession()
    before = session.current()
    out = run_go_magic(["use", "1.22"], session)
    assert out.error is None and "go" + GO_OLD in out.text
    assert session.current().version == "go" + GO_OLD
    assert other.current() == before, "an override stays in its notebook"
    assert not toolchains.choice_file().exists(), "and is not saved"
    assert "go" + GO_OLD in run_go_magic(["version"], session).text
    assert "*" in next(line for line in run_go_magic(["list"], session).text.splitlines() if "go" + GO_OLD in line)
    run_go_magic(["use", "default"], session)
    assert session.override is None and session.current() == before
    # the environment the cells run with follows the override
    run_go_magic(["use", GO_OLD], session)
    env = session.environ(dict(os.environ))
    version = subprocess.run(["go", "version"], env=env, capture_output=True, text=True, check=True).stdout
    assert f"go{GO_OLD} " in version


def test_use_unknown_is_an_error(isolated_toolchains: Path) -> None:
    session = ToolchainSession()
    out = run_go_magic(["use", "9.9.9"], session)
    assert out.error and "unknown Go toolchain '9.9.9'" in out.error and "known:" in out.error
    assert session.override is None


def env_values(text: str) -> dict[str, str]:
    """`KEY=value  # where it came from` lines -> {KEY: value}."""
    lines = [line.split("  # ")[0].rstrip() for line in text.splitlines()]
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_env_and_offline(isolated_toolchains: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GOPROXY", "https://proxy.example,direct")
    session = ToolchainSession()
    text = run_go_magic(["env"], session).text
    values = env_values(text)
    assert "GOPROXY=https://proxy.example,direct" in text and "# the kernel's environment" in text
    assert set(values) >= {"GOROOT", "GOPATH", "GOMODCACHE", "GOBIN", "GOCACHE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN"}
    assert values["GOROOT"] == session.current().goroot and values["GOPROXY"] == "https://proxy.example,direct"
    assert values["GOCACHE"] == os.environ["GOCACHE"] and values["GOTOOLCHAIN"] == "local"
    assert values["GOMODCACHE"] == session.environ()["GOMODCACHE"]  # per-env (the test runs in a venv)
    assert run_go_magic(["offline", "on"], session).error is None and session.offline
    values = env_values(run_go_magic(["env"], session).text)
    assert (values["GOPROXY"], values["GOFLAGS"]) == ("off", "-mod=mod")
    run_go_magic(["offline", "off"], session)
    assert session.environ(dict(os.environ))["GOPROXY"] == "https://proxy.example,direct"


def test_offline_missing_module_fails_fast_naming_it(isolated_toolchains: Path, tmp_path) -> None:
    mod = tmp_path / "m"
    mod.mkdir()
    (mod / "go.mod").write_text("module m\n\ngo 1.22\n")
    (mod / "main.go").write_text('package main\n\nimport _ "example.com/not/cached"\n\nfunc main() {}\n')
    session = ToolchainSession(offline=True)
    env = session.environ(dict(os.environ, GOMODCACHE=str(tmp_path / "modcache")))
    run = subprocess.run(["go", "build", "./..."], cwd=mod, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "example.com/not/cached" in run.stderr


def test_unknown_subcommand_shows_usage(isolated_toolchains: Path) -> None:
    for args in ([], ["frobnicate"], ["use"], ["offline", "maybe"]):
        out = run_go_magic(args, ToolchainSession())
        assert out.error and "usage:" in out.error, args


def test_switch_with_cli_takes_effect_in_running_session(isolated_toolchains: Path, go_roots, tmp_path) -> None:
    """The kernel's path: a cell runs under A, the CLI switches, the next cell (same process) runs under B."""
    add_sdk_go(isolated_toolchains, go_roots[GO_OLD])
    prog = tmp_path / "prog"
    prog.mkdir()
    (prog / "go.mod").write_text("module prog\n\ngo 1.21\n")
    (prog / "main.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n'
    )

    def run_cell(session: ToolchainSession) -> str:
        env = session.environ(dict(os.environ))
        return subprocess.run(["go", "run", "."], cwd=prog, env=env, capture_output=True, text=True, check=True).stdout

    session = ToolchainSession()
    first = run_cell(session).strip()
    assert first == session.current().version != "go" + GO_OLD
    old_id = next(t.id for t in toolchains.discover() if t.version == "go" + GO_OLD)
    switched = subprocess.run(
        [sys.executable, "-m", "gokernel", "toolchains", "use", old_id],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert switched.returncode == 0, switched.stderr
    assert run_cell(session).strip() == "go" + GO_OLD
