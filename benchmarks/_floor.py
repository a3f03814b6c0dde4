"""The floor: the raw Go toolchain on a copy of the kernel's generated module, timed the same way."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

_MODULE_FILES = ("go.mod", "go.sum")


def go_env() -> tuple[str, dict[str, str]]:
    """The go binary and environment the kernel itself would use (its active toolchain), else `go` on PATH."""
    try:
        from gokernel import toolchains

        tc = toolchains.active()
        return tc.go, dict(toolchains.go_environ(tc, os.environ))
    except Exception:
        go = shutil.which("go") or "go"
        return go, {**os.environ, "GOTOOLCHAIN": "local"}


def copy_module(src: Path, dst: Path) -> None:
    """go.mod, go.sum and the top-level .go files (the generated program), not the kernel's own state."""
    dst.mkdir(parents=True, exist_ok=True)
    for p in src.iterdir():
        if p.is_file() and (p.name in _MODULE_FILES or p.suffix == ".go"):
            shutil.copy2(p, dst / p.name)


def replace_token(directory: Path, old: str, new: str) -> int:
    """Swap the cell's marker literal in every .go file: a one-line change that forces a real rebuild."""
    changed = 0
    for p in directory.glob("*.go"):
        text = p.read_text()
        if old in text:
            p.write_text(text.replace(old, new))
            changed += 1
    return changed


class FloorError(RuntimeError):
    pass


def run_timed(commands: Sequence[Sequence[str]], cwd: Path, env: dict[str, str], timeout: float = 600) -> float:
    """Run commands one after another (like `a && b`), return the wall time of all of them."""
    t0 = time.monotonic()
    for argv in commands:
        proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, timeout=timeout)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()[-3:]
            raise FloorError(f"{' '.join(argv)} exited {proc.returncode}: {' | '.join(tail)}")
    return time.monotonic() - t0


class WarmFloor:
    """A copy of the kernel's module in a temp dir, warmed up once, then rebuilt after a one-line change per timing.

    Timings are meant to alternate with the kernel's, so both see the same machine load."""

    def __init__(self, scratch: Path, token: str, commands: Sequence[Sequence[str]], env: dict[str, str]) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="gokernel-floor-")
        self.dir = Path(self._tmp.name)
        copy_module(scratch, self.dir)
        if not any(self.dir.glob("*.go")):
            self.close()
            raise FloorError(f"no .go files in the scratch module {scratch}")
        self.token = token
        self._base = token
        self.commands = commands
        self.env = env
        self._n = 0
        run_timed(commands, self.dir, env)  # warm-up: the directory is new to the build cache

    def time_once(self) -> float:
        self._n += 1
        new = f"{self._base}f{self._n}"
        if not replace_token(self.dir, self.token, new):
            # Without the change the build (and go test's result cache) would be a no-op, not the floor.
            raise FloorError(f"marker {self.token!r} not found in the copied module")
        self.token = new
        return run_timed(self.commands, self.dir, self.env)

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> WarmFloor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def measure_floor(
    scratch: Path,
    token: str,
    commands: Sequence[Sequence[str]],
    repeats: int,
    env: dict[str, str],
    *,
    fresh_dir_each: bool = False,
) -> list[float]:
    """Time `commands` `repeats` times on a copy of the kernel's module, a token change before each.

    fresh_dir_each: a new directory per repeat (the first cell of a new notebook: the package itself is new
    to the build cache, the standard library is not)."""
    if not fresh_dir_each:
        with WarmFloor(scratch, token, commands, env) as floor:
            return [floor.time_once() for _ in range(repeats)]
    samples: list[float] = []
    with tempfile.TemporaryDirectory(prefix="gokernel-floor-") as tmp:
        base = Path(tmp) / "base"
        copy_module(scratch, base)
        if not any(base.glob("*.go")):
            raise FloorError(f"no .go files in the scratch module {scratch}")
        for i in range(repeats):
            work = Path(tmp) / f"fresh{i}"
            copy_module(base, work)
            replace_token(work, token, f"{token}f{i}")
            samples.append(run_timed(commands, work, env))
    return samples
