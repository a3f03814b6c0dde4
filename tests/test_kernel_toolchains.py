"""Toolchain choice seen through a real kernel: switching takes effect on the next cell, no restart."""

from __future__ import annotations

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
