"""Live-session cell latency and host memory, side by side with raw `go build -buildmode=plugin` and fresh mode.

    python -m benchmarks.live [--quick] [--repeat N] [--cells N] [--only 1,3] [--json PATH]

The live session (the default mode) runs every cell of a notebook as a Go plugin loaded into one
long-lived host process (`gkhost-*`, a child of the kernel). Figures come from real kernels driven
through jupyter_client: a cell's time runs from the execute_request to its last message (the idle
status after the reply). Targets are printed with PASS/MISS and never asserted; the exit status is
non-zero only when a scenario itself failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from ._driver import CellRun, KernelSession
from ._floor import WarmFloor, go_env, run_timed
from ._report import Row, document, format_table, write_json
from ._stats import Check, Summary, ratio, summarize
from .cells import ScenarioFailed, checked, go_version, scenario_order

HERE = Path(__file__).resolve().parent
KB = 1024
MB = 1024 * 1024

HELLO = 'import "fmt"\n\nfmt.Println("hello {tok}")\n'
# The floor of scenario 1: the same statement as a one-function plugin package, built by the go command.
FLOOR_PLUGIN = 'package main\n\nimport "fmt"\n\nfunc Cell() {{\n\tfmt.Println("hello {tok}")\n}}\n'
VALUE_SET = "x := 5\n"
VALUE_READ = "x + 1\n"
NOTEBOOK_PREFIX = "gokernel-bench-live"


def decl_cell(i: int) -> str:
    """One small declaration (a func, a type or a package var, in turn) and one value made from it."""
    kind = i % 3
    if kind == 0:
        return f"func f{i}(x int) int {{ return x + {i} }}\n\nval{i} := f{i}({i})\n"
    if kind == 1:
        return f"type T{i} struct{{ A, B int }}\n\nval{i} := T{i}{{A: {i}, B: {i} * 2}}\n"
    return f"var v{i} = {i}\n\nval{i} := v{i} * 2\n"


@dataclass
class Options:
    quick: bool = False
    repeat: int = 7
    cells: int = 200  # declaration cells of scenario 3
    json_path: Path | None = None
    only: frozenset[int] | None = None

    def wanted(self, scenario: str) -> bool:
        head = scenario.split()[0]
        return self.only is None or not head.isdigit() or int(head) in self.only

    @property
    def first_cell_repeats(self) -> int:
        return 1 if self.quick else 5

    @property
    def rss_checkpoints(self) -> tuple[int, ...]:
        marks = {0, self.cells // 4, self.cells // 2, self.cells} if self.cells >= 8 else {0, self.cells}
        return tuple(sorted(marks))


def ran_ok(run: CellRun, what: str) -> CellRun:
    """For cells without output (declarations, `x := 5`): only the reply status counts."""
    if run.status != "ok":
        raise ScenarioFailed(f"{what}: {run.problem()}")
    return run


def mode_of(k: KernelSession) -> str:
    """The mode the next cell runs in, as `%mode` says it ("live" / "fresh")."""
    text = k.execute("%mode", timeout=60).all_text().strip()
    return text.split(":", 1)[0].strip()


def require_mode(k: KernelSession, want: str) -> None:
    got = mode_of(k)
    if got != want:
        raise ScenarioFailed(f"the kernel runs cells in {got!r} mode, not {want!r}")


def scratch_dir(k: KernelSession) -> Path | None:
    """The kernel's scratch module, as `%scratch` prints it."""
    run = k.execute("%scratch", timeout=30)
    for word in reversed(run.all_text().split()):
        p = Path(word.strip("'\"`"))
        if p.is_absolute() and p.is_dir():
            return p
    return None


def host_processes(k: KernelSession) -> list[psutil.Process]:
    """The kernel's children whose executable name starts with `gkhost-` (the live session's host)."""
    pid = k.pid
    if pid is None:
        return []
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    hosts = []
    for c in children:
        try:
            exe = os.path.basename(os.readlink(f"/proc/{c.pid}/exe"))
        except OSError:
            try:
                exe = c.name()
            except psutil.Error:
                continue
        if exe.startswith("gkhost-"):
            hosts.append(c)
    return hosts


MEMORY_FIELDS = ("VmRSS", "RssAnon", "RssFile")


def memory_status(pid: int) -> dict[str, int]:
    """VmRSS and its split (RssAnon: private memory; RssFile: pages of mapped files) from /proc/<pid>/status,
    in bytes."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in MEMORY_FIELDS:
                out[key] = int(value.split()[0]) * KB
    except (OSError, ValueError, IndexError):
        return {}
    return out


def host_rss(k: KernelSession) -> tuple[dict[str, int], int]:
    """(memory_status of the host, number of host processes): exactly one host is expected."""
    hosts = host_processes(k)
    if not hosts:
        raise ScenarioFailed("no gkhost-* child process of the kernel")
    host = max(hosts, key=lambda p: p.create_time())
    status = memory_status(host.pid)
    if "VmRSS" not in status:
        raise ScenarioFailed(f"cannot read VmRSS of host pid {host.pid}")
    return status, len(hosts)


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: int | float | None) -> float | None:
    return None if n is None else n / MB


@dataclass
class Bench:
    opts: Options
    go: str = ""
    env: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    live_hello: Summary | None = None
    start_samples: list[float] = field(default_factory=list)
    scratch_dirs: list[Path] = field(default_factory=list)  # the notebooks this run made, removed at the end
    _n: int = 0
    _notebooks: int = 0

    def token(self) -> str:
        self._n += 1
        return f"tok{os.getpid()}n{self._n}"

    def guard(self, scenario: str, unit: str, fn: Callable[[], None]) -> None:
        """Run one scenario; a crash becomes a failed row instead of ending the run."""
        if not self.opts.wanted(scenario):
            return
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - any failure is reported on the scenario's row
            self.rows.append(Row(scenario, unit, error=f"{type(e).__name__}: {e}"[:400]))

    def kernel(self, **env: str) -> KernelSession:
        """A kernel on a notebook name of its own: a new scratch module and so a new live session."""
        self._notebooks += 1
        name = f"{NOTEBOOK_PREFIX}-{os.getpid()}-{time.time_ns()}-{self._notebooks}.ipynb"
        k = KernelSession(env={"GOKERNEL_MODE": "live", "JPY_SESSION_NAME": name, **env})
        self.start_samples.append(k.start_seconds)
        return k

    def done_with(self, k: KernelSession) -> None:
        """Shut a kernel down and forget its scratch module (only a module of this run's own notebooks)."""
        scratch = None
        try:
            scratch = scratch_dir(k)
        except Exception:  # noqa: BLE001 - the kernel may be dead already; shutdown still runs
            pass
        finally:
            k.shutdown()
        if scratch is not None and scratch.name.startswith(NOTEBOOK_PREFIX):
            self.scratch_dirs.append(scratch)

    # --- 1 warm changed cell: live vs go build -buildmode=plugin vs fresh mode, interleaved --------

    def plugin_floor_dir(self, tmp: Path, tok: str) -> Path:
        src = tmp / "src"
        src.mkdir()
        run_timed([[self.go, "mod", "init", "gokernel.bench/floorplugin"]], src, self.env)
        (src / "main.go").write_text(FLOOR_PLUGIN.format(tok=tok))
        return src

    def warm_cell(self) -> None:
        live = self.kernel()
        kernels = [live]
        try:
            require_mode(live, "live")
            fresh = self.kernel()
            kernels.append(fresh)
            if not fresh.execute("%mode fresh", timeout=60).all_text().startswith("fresh"):
                raise ScenarioFailed("%mode fresh did not switch the second kernel to fresh mode")
            require_mode(fresh, "fresh")
            # Warm-ups: the live session's host starts and the std export data is listed; fresh mode's importcfg.
            for k in (live, fresh):
                for _ in range(2):
                    tok = self.token()
                    checked(k.execute(HELLO.format(tok=tok), timeout=600), tok)
            live_s, fresh_s, floor_s = [], [], []
            cmd = [[self.go, "build", "-buildmode=plugin", "-o", "cell.so", "."]]
            with tempfile.TemporaryDirectory(prefix="gokernel-plugin-floor-") as tmp:
                tok = self.token()
                src = self.plugin_floor_dir(Path(tmp), tok)
                with WarmFloor(src, tok, cmd, self.env) as raw:
                    for i in range(self.opts.repeat):
                        # Rotate who goes first so none of the three always runs right after another's build.
                        steps: list[Callable[[], None]] = [
                            lambda: live_s.append(self._hello(live)),
                            lambda: floor_s.append(raw.time_once()),
                            lambda: fresh_s.append(self._hello(fresh)),
                        ]
                        for step in steps[i % 3 :] + steps[: i % 3]:
                            step()
            hosts = host_processes(live)
            if len(hosts) != 1:
                raise ScenarioFailed(f"{len(hosts)} gkhost-* processes under the live kernel, expected 1")
        finally:
            for k in kernels:
                self.done_with(k)
        s, floor, fr = summarize(live_s), summarize(floor_s), summarize(fresh_s)
        self.live_hello = s
        self.rows.append(
            Row(
                "1 warm changed cell, live",
                "s",
                s,
                floor,
                checks=[
                    Check("×plugin floor", ratio(s.median, floor.median), 1.2),
                    Check("×fresh (moonshot)", ratio(s.median, fr.median), 1.0),
                ],
                note="floor = go build -buildmode=plugin of a one-func package after a one-line change",
            )
        )
        self.rows.append(
            Row(
                "1 same cell, fresh mode (%mode fresh)",
                "s",
                fr,
                floor,
                note=f"live/fresh {ratio(s.median, fr.median) or 0:.2f}×",
            )
        )

    def _hello(self, k: KernelSession) -> float:
        tok = self.token()
        return checked(k.execute(HELLO.format(tok=tok)), tok).seconds

    # --- 2 first live cell of a new notebook, warm build cache ------------------------------------

    def first_cell(self) -> None:
        immediate: list[float] = []
        later: list[float] = []
        host_mb: list[float] = []
        for _ in range(self.opts.first_cell_repeats):
            for wait, samples in ((0.0, immediate), (5.0, later)):
                k = self.kernel()
                try:
                    time.sleep(wait)
                    tok = self.token()
                    samples.append(checked(k.execute(HELLO.format(tok=tok), timeout=600), tok).seconds)
                    status, _ = host_rss(k)
                    host_mb.append(status["VmRSS"] / MB)
                    require_mode(k, "live")
                finally:
                    self.done_with(k)
        rss_range = f"{min(host_mb):.0f}–{max(host_mb):.0f} MB"
        note = f"new notebook (scratch module, host binary) per repeat; host RSS after it {rss_range}"
        s = summarize(immediate)
        self.rows.append(
            Row(
                "2 first live cell, sent right after kernel_info",
                "s",
                s,
                checks=[Check("s", s.median, 1.5)],
                note=note,
            )
        )
        s = summarize(later)
        self.rows.append(Row("2 first live cell, sent 5 s after start", "s", s, checks=[Check("s", s.median, 1.5)]))

    # --- 3 host memory over many declaration cells -----------------------------------------------

    def host_memory(self) -> None:
        n = self.opts.cells
        k = self.kernel()
        try:
            require_mode(k, "live")
            tok = self.token()
            checked(k.execute(HELLO.format(tok=tok), timeout=600), tok)  # starts the host: "0 cells"
            rss: dict[int, float] = {}
            kernel_rss: dict[int, float] = {}
            split: dict[int, tuple[float, float]] = {}  # (RssAnon, RssFile) MB
            disk: dict[int, float] = {}  # MB under the scratch module's .gokernel/live (plugins, archives)
            latencies: list[float] = []
            for i in range(n + 1):
                if i in self.opts.rss_checkpoints:
                    time.sleep(0.5)  # let the host's GC and the last plugin's load settle
                    status, count = host_rss(k)
                    if count != 1:
                        raise ScenarioFailed(f"{count} gkhost-* processes after {i} cells, expected 1")
                    rss[i] = status["VmRSS"] / MB
                    split[i] = (status.get("RssAnon", 0) / MB, status.get("RssFile", 0) / MB)
                    kernel_rss[i] = (k.rss_bytes() or 0) / MB
                    scratch = scratch_dir(k)  # a magic: no plugin, no host memory
                    live_dir = scratch / ".gokernel" / "live" if scratch else None
                    disk[i] = tree_bytes(live_dir) / MB if live_dir and live_dir.is_dir() else 0.0
                if i == n:
                    break
                latencies.append(ran_ok(k.execute(decl_cell(i)), f"declaration cell {i + 1}").seconds)
            # The values are really there: read the last one back.
            last = n - 1
            probe = checked(k.execute(f"val{last}\n"))
            if str(2 * last) not in probe.all_text():  # every kind of decl_cell's value holds 2*i
                raise ScenarioFailed(f"val{last} printed {probe.all_text()[:80]!r}")
        finally:
            self.done_with(k)
        marks = sorted(rss)
        per_cell = (rss[n] - rss[0]) / n * KB  # KB per cell
        self.meta["host_rss_mb"] = {str(i): round(rss[i], 1) for i in marks}
        self.meta["host_rss_anon_file_mb"] = {str(i): [round(x, 1) for x in split[i]] for i in marks}
        self.meta["kernel_rss_mb"] = {str(i): round(kernel_rss[i], 1) for i in marks}
        self.meta["live_build_dir_mb"] = {str(i): round(disk[i], 1) for i in marks}
        self.meta["decl_cell_seconds"] = [round(x, 4) for x in latencies]
        for i in marks:
            checks = [Check("MB", rss[i], 300)] if i == n and n >= 200 else []
            anon, mapped = split[i]
            note = (
                f"RssAnon {anon:.0f} MB + RssFile {mapped:.0f} MB; kernel process {kernel_rss[i]:.0f} MB; "
                f"session build dir {disk[i]:.0f} MB on disk"
            )
            if i == 0:
                note += "; after one hello cell (the host starts with the first live cell)"
            self.rows.append(
                Row(f"3 host RSS after {i} decl+value cells", "MB", summarize([rss[i]]), checks=checks, note=note)
            )
        stretches = list(zip(marks, marks[1:], strict=False))
        growth = ", ".join(f"{a}→{b}: {(rss[b] - rss[a]) / (b - a) * KB:.0f}" for a, b in stretches)
        self.rows.append(
            Row(
                "3 host RSS growth per cell",
                "KB",
                summarize([per_cell]),
                note=f"over all {n} cells; by stretch {growth}",
            )
        )
        head, tail = latencies[: min(10, n)], latencies[-min(10, n) :]
        h, t = summarize(head), summarize(tail)
        self.rows.append(Row(f"3 decl cell latency, cells 1–{len(head)}", "s", h, note=f"cell 1: {latencies[0]:.3f} s"))
        self.rows.append(
            Row(
                f"3 decl cell latency, cells {n - len(tail) + 1}–{n}",
                "s",
                t,
                note=f"cell {n}: {latencies[-1]:.3f} s; median {ratio(t.median, h.median) or 0:.2f}× the first",
            )
        )

    # --- 4 a cell reading a value of an earlier cell ----------------------------------------------

    def values(self) -> None:
        k = self.kernel()
        try:
            require_mode(k, "live")
            tok = self.token()
            checked(k.execute(HELLO.format(tok=tok), timeout=600), tok)
            ran_ok(k.execute(VALUE_SET), "x := 5")
            checked(k.execute(VALUE_READ), "6")  # warm-up
            samples = [checked(k.execute(VALUE_READ), "6").seconds for _ in range(self.opts.repeat)]
            hello = [self._hello(k) for _ in range(max(2, self.opts.repeat // 2))]
        finally:
            self.done_with(k)
        s = summarize(samples)
        note = f"hello cell in the same kernel {summarize(hello).median:.3f} s"
        self.rows.append(Row("4 values cell: x + 1 after x := 5", "s", s, note=note))

    def run(self) -> None:
        self.go, self.env = go_env()
        self.guard("1 warm changed cell, live", "s", self.warm_cell)
        self.guard("4 values cell: x + 1 after x := 5", "s", self.values)
        self.guard("2 first live cell after start", "s", self.first_cell)
        self.guard("3 host RSS over declaration cells", "MB", self.host_memory)
        if self.start_samples:
            self.rows.append(Row("kernel start → kernel_info reply", "s", summarize(self.start_samples)))
        for d in self.scratch_dirs:
            shutil.rmtree(d, ignore_errors=True)


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(prog="python -m benchmarks.live", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CI mode: few repeats, 30 declaration cells")
    p.add_argument("--repeat", type=int, default=None, help="timed repeats per scenario (default 7, quick 2)")
    p.add_argument("--cells", type=int, default=None, help="declaration cells of scenario 3 (default 200, quick 30)")
    p.add_argument("--only", default=None, help="comma-separated scenario numbers to run, e.g. 1,3")
    p.add_argument("--json", type=Path, default=None, help="where to write the JSON (default benchmarks/results/)")
    a = p.parse_args(argv)
    repeat = a.repeat if a.repeat is not None else (2 if a.quick else 7)
    cells = a.cells if a.cells is not None else (30 if a.quick else 200)
    only = frozenset(int(x) for x in a.only.split(",") if x.strip()) if a.only else None
    return Options(quick=a.quick, repeat=max(1, repeat), cells=max(1, cells), json_path=a.json, only=only)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc)
    bench = Bench(opts)
    t0 = time.monotonic()
    bench.run()
    rows = sorted(bench.rows, key=scenario_order)
    meta = {
        "benchmark": "live",
        "started": started.isoformat(),
        "seconds": round(time.monotonic() - t0, 1),
        "quick": opts.quick,
        "repeat": opts.repeat,
        "cells": opts.cells,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "go": bench.go,
        "go_version": go_version(bench.go, bench.env),
        **bench.meta,
    }
    print(f"\n# gokernel live session ({meta['go_version']}, {os.cpu_count()} CPUs, repeat {opts.repeat})")
    print(format_table(rows))
    path = opts.json_path or HERE / "results" / f"live-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    write_json(path, document(rows, meta))
    print(f"JSON: {path}  ({meta['seconds']} s)")
    failed = [r.scenario for r in rows if r.error]
    if failed:
        print("FAILED scenarios: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
