"""Toolchain choice seen through a real kernel: switching takes effect on the next cell, no restart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gokernel import kernelstate, toolchains
from tests.kernel_client import GoKernelDriver
from tests.toolchain_fixtures import GO_NEW, GO_OLD


def _env(tmp_path: Path, go_roots: dict[str, Path]) -> dict[str, str]:
    # Both real toolchains discoverable; a private config dir so the user's choice is never touched.
    return {
        "GOKERNEL_TOOLCHAIN_PATHS": os.pathsep.join(str(go_roots[v]) for v in (GO_OLD, GO_NEW)),
        "GOKERNEL_CONFIG_DIR": str(tmp_path / "config"),
        "GOKERNEL_CACHE_DIR": str(tmp_path / "cache"),
        "JPY_SESSION_NAME": str(tmp_path / "switch.ipynb"),
    }


def test_switching_the_active_toolchain_applies_to_the_next_cell(
    tmp_path: Path, go_roots: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(tmp_path, go_roots)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    toolchains.reset_memo()
    found = {t.version: t for t in toolchains.discover() if t.usable}
    assert {f"go{GO_OLD}", f"go{GO_NEW}"} <= set(found)
    toolchains.set_active(found[f"go{GO_NEW}"].id)

    k = GoKernelDriver(env=env)
    try:
        first = k.execute('import "runtime"\nfunc goVersion() string { return runtime.Version() }\ngoVersion()')
        assert first.status == "ok" and first.result == f'"go{GO_NEW}"'

        assert k.execute("valueBeforeSwitch := 7").status == "ok"

        # What the sidebar and the server extension do: write the choice file.
        toolchains.set_active(found[f"go{GO_OLD}"].id)
        second = k.execute("goVersion()")
        assert second.status == "ok" and second.result == f'"go{GO_OLD}"'
        notes = [m["content"]["data"]["text/plain"] for m in second.of_type("display_data")]
        assert any(f"now using go{GO_OLD}" in n for n in notes), notes
        # The live session started anew with the other Go: declarations restored, values gone, said once.
        assert "new live session: the toolchain changed" in second.stream("stderr")
        gone = k.execute("valueBeforeSwitch")
        assert gone.status == "error" and "undefined: valueBeforeSwitch" in gone.reply["content"]["evalue"]
        info = k.kc.kernel_info(reply=True)["content"]["language_info"]
        assert info["version"] == GO_OLD
        # The scratch module's go directive follows the older toolchain, so it still builds.
        scratch = Path(k.execute("%scratch").stream().strip())
        assert "go 1.22" in (scratch / "go.mod").read_text()

        # The running-kernels record the server extension reads names the toolchain of the last cell.
        states = kernelstate.read_all().values()
        assert any(
            s.get("go_version") == f"go{GO_OLD}" and s.get("notebook") == env["JPY_SESSION_NAME"] for s in states
        )

        # A per-notebook override wins over the global choice, and unknown ids are refused.
        ok_use = k.execute(f"%go use {GO_NEW}\ngoVersion()")
        assert ok_use.status == "ok" and ok_use.result == f'"go{GO_NEW}"'
        bad = k.execute("%go use 1.3.1")
        assert bad.status == "error" and "1.3.1" in bad.reply["content"]["evalue"]
        assert k.execute("goVersion()").result == f'"go{GO_NEW}"'
    finally:
        k.shutdown()
        toolchains.reset_memo()


def test_no_toolchain_gives_a_clear_error_and_the_kernel_stays_up(tmp_path: Path) -> None:
    empty = tmp_path / "nogo"
    empty.mkdir()
    env = {
        "GOKERNEL_GO": str(empty / "go"),  # a configured go that does not exist
        "GOKERNEL_CONFIG_DIR": str(tmp_path / "config"),
        "GOKERNEL_CACHE_DIR": str(tmp_path / "cache"),
    }
    k = GoKernelDriver(env=env)
    try:
        ex = k.execute('fmt.Println("hi")')
        assert ex.status == "error"
        assert ex.reply["content"]["ename"] in ("NoToolchain", "ToolchainError")
        assert str(empty / "go") in ex.reply["content"]["evalue"]
        assert k.execute("%ls").status == "ok"
    finally:
        k.shutdown()


def test_conda_env_vars_reach_every_go_command_and_show_in_go_env(tmp_path: Path) -> None:
    """The conda env the kernel runs in ($CONDA_PREFIX) has `conda env config vars set GOFLAGS=...`, which only
    conda's activation applies and Jupyter never runs: the kernel applies it anyway, below its own environment."""
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    state = {"env_vars": {"GOFLAGS": "-tags=gkdemo", "GOPRIVATE": "example.internal/*", "EDITOR": "vi"}}
    (prefix / "conda-meta" / "state").write_text(json.dumps(state))
    env = {
        "CONDA_PREFIX": str(prefix),
        "GOKERNEL_CONFIG_DIR": str(tmp_path / "config"),
        "JPY_SESSION_NAME": str(tmp_path / "conda.ipynb"),
        "GOKERNEL_MODE": "fresh",
    }
    k = GoKernelDriver(env=env)
    try:
        scratch = Path(k.execute("%scratch").stream().strip())
        (scratch / "tagged.go").write_text(
            '//go:build gkdemo\n\npackage main\n\nfunc tagged() string { return "tag on" }\n'
        )
        ex = k.execute("tagged()")
        assert ex.status == "ok" and ex.result == '"tag on"', ex.error
        shown = k.execute("%go env").of_type("display_data")[0]["content"]["data"]["text/plain"]
        line = next(x for x in shown.splitlines() if x.startswith("GOFLAGS="))
        assert "-tags=gkdemo" in line and f"conda env vars of {prefix}" in line
        assert "GOPRIVATE=example.internal/*" in shown
        # The notebook's %env wins over the conda env.
        k.execute("%env GOFLAGS=-tags=other")
        shown = k.execute("%go env").of_type("display_data")[0]["content"]["data"]["text/plain"]
        assert "GOFLAGS=-tags=other" in shown and "%env in this notebook" in shown
    finally:
        k.shutdown()


def test_the_toolchains_own_conda_env_counts_too(tmp_path: Path) -> None:
    """conda-forge puts GOROOT at $PREFIX/go: that env's vars apply, weaker than the kernel's env's."""
    toolchain_env, kernel_env = tmp_path / "goenv", tmp_path / "kernelenv"
    for prefix, flags in ((toolchain_env, "-tags=a"), (kernel_env, "-tags=b")):
        (prefix / "conda-meta").mkdir(parents=True)
        state = {"env_vars": {"GOFLAGS": flags, "GONOSUMDB": str(prefix)}}
        (prefix / "conda-meta" / "state").write_text(json.dumps(state))
    (toolchain_env / "conda-meta" / "state").write_text(
        json.dumps({"env_vars": {"GOFLAGS": "-tags=a", "GOPRIVATE": "only.in/toolchain-env", "GOROOT": "/wrong"}})
    )
    tc = toolchains.Toolchain(
        "t", "go1.27.3", str(toolchain_env / "go"), str(toolchain_env / "go/bin/go"), "conda", "x"
    )
    old = os.environ.get("CONDA_PREFIX")
    os.environ["CONDA_PREFIX"] = str(kernel_env)
    try:
        env = toolchains.go_environ(tc, {"PATH": "/usr/bin"})
    finally:
        if old is None:
            del os.environ["CONDA_PREFIX"]
        else:
            os.environ["CONDA_PREFIX"] = old
    assert env["GOFLAGS"] == "-tags=b"  # the kernel's env wins over the toolchain's env
    assert env["GOPRIVATE"] == "only.in/toolchain-env"
    assert env["GOROOT"] == str(toolchain_env / "go")  # never taken from env vars
    assert toolchains.go_environ(tc, {"PATH": "/usr/bin", "GOFLAGS": "-x"})["GOFLAGS"] == "-x"  # base wins
