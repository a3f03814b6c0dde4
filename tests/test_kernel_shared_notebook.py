"""Two kernels on one notebook (same JPY_SESSION_NAME) share its scratch module but never each other's builds."""

from __future__ import annotations

from pathlib import Path

from gokernel.scratch import ScratchModule

from .kernel_client import GoKernelDriver


def test_two_kernels_on_one_notebook_run_their_own_programs(tmp_path: Path) -> None:
    env = {"JPY_SESSION_NAME": str(tmp_path / "shared.ipynb"), "GOKERNEL_MODE": "fresh"}
    a, b = GoKernelDriver(env=env), GoKernelDriver(env=env)
    try:
        assert a.execute('fmt.Println("from A")').stream() == "from A\n"
        assert b.execute('fmt.Println("from B")').stream() == "from B\n"
        # A's unchanged cell may reuse A's binary, never the one B built since.
        ex = a.execute('fmt.Println("from A")')
        assert ex.status == "ok" and ex.stream() == "from A\n", ex.stream()
    finally:
        a.shutdown()
        b.shutdown()


def test_build_dirs_of_dead_kernels_are_removed(tmp_path: Path) -> None:
    first = ScratchModule(tmp_path / "m")
    dead = first.build_dir / "kernel-999999999"  # beyond pid_max: no such process
    dead.mkdir()
    (dead / "cell").write_bytes(b"old")
    again = ScratchModule(tmp_path / "m")
    assert not dead.exists() and again.own_dir.exists() and again.own_dir == first.own_dir
