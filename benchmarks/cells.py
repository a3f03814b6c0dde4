"""Cell latency of the gokernel, side by side with the raw toolchain (floor) and optionally GoNB.

    python -m benchmarks.cells [--quick] [--with-gonb] [--repeat N] [--json PATH]

Every figure comes from the real kernel driven through jupyter_client: a cell's time runs from the
execute_request to its last message (the idle status after the reply). Targets are printed with
PASS/MISS and never asserted; the exit status is non-zero only when a scenario itself failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager

from . import _gonb
from ._driver import CellRun, KernelSession
from ._floor import WarmFloor, copy_module, go_env, measure_floor, run_timed
from ._report import Row, document, format_table, write_json
from ._stats import Check, Summary, ratio, summarize

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024
# These scenarios measure one program per cell (fresh mode); the live session has benchmarks/live.py.
FRESH = {"GOKERNEL_MODE": "fresh"}

HELLO = 'import "fmt"\n\nfmt.Println("hello {tok}")\n'
GONB_HELLO = '%%\nfmt.Println("hello {tok}")\n'
UUID_CELL = (
    'import (\n\t"fmt"\n\n\t"github.com/google/uuid"\n)\n\n'
    'fmt.Println(uuid.NewSHA1(uuid.NameSpaceURL, []byte("{tok}")))\n'
)
TEST_CELL = (
    '%%test -race\nimport "testing"\n\nfunc TestLatency(t *testing.T) {{\n\tt.Log("{tok}")\n'
    '\tif 1+1 != 2 {{\n\t\tt.Fatal("arithmetic")\n\t}}\n}}\n'
)
BENCH_FLAGS = ("-count", "1", "-benchtime", "2000x")
BENCH_CELL = (
    "%%bench " + " ".join(BENCH_FLAGS) + '\nimport "testing"\n\nfunc BenchmarkLatency(b *testing.B) {{\n'
    '\ts := "{tok}"\n\tfor i := 0; i < b.N; i++ {{\n\t\t_ = len(s)\n\t}}\n}}\n'
)
# Prints its own wall clock, then keeps running: the first line must show up before the program ends.
STREAM_CELL = (
    'import (\n\t"fmt"\n\t"time"\n)\n\nfmt.Println(time.Now().UnixNano(), "{tok}")\ntime.Sleep(2 * time.Second)\n'
)
FLOOD_CELL = (
    'import (\n\t"bufio"\n\t"os"\n\t"strings"\n)\n\n// {tok}\nline := strings.Repeat("x", 99) + "\\n"\n'
    "w := bufio.NewWriterSize(os.Stdout, 1<<16)\nfor i := 0; i < {lines}; i++ {{\n\tw.WriteString(line)\n}}\n"
    "_ = w.Flush()\n"
)


def decl_cell(i: int) -> str:
    """A mix of the declarations notebooks accumulate: funcs, types, vars, consts."""
    kind = i % 4
    if kind == 0:
        return f"func f{i}(x int) int {{ return x + {i} }}\n"
    if kind == 1:
        return f"type T{i} struct{{ A, B int }}\n"
    if kind == 2:
        return f"var v{i} = {i}\n"
    return f"const c{i} = {i}\n"


@dataclass
class Options:
    quick: bool = False
    with_gonb: bool = False
    repeat: int = 7
    json_path: Path | None = None
    only: frozenset[int] | None = None  # scenario numbers to run (None: all)

    def wanted(self, scenario: str) -> bool:
        head = scenario.split()[0]
        return self.only is None or not head.isdigit() or int(head) in self.only

    @property
    def decl_checkpoints(self) -> tuple[int, ...]:
        return (50,) if self.quick else (50, 200)

    @property
    def flood_mb(self) -> int:
        return 12 if self.quick else 50

    @property
    def cold_repeats(self) -> int:
        return 1 if self.quick else 2


class ScenarioFailed(RuntimeError):
    pass


def checked(run: CellRun, expect: str | None = None) -> CellRun:
    why = run.problem(expect)
    if why:
        raise ScenarioFailed(why)
    return run


def scratch_dir(k: KernelSession) -> Path:
    """The kernel's generated module, as `%scratch` prints it."""
    run = k.execute("%scratch", timeout=30)
    for line in reversed(run.all_text().splitlines()):
        for word in reversed(line.split()):
            p = Path(word.strip("'\"`"))
            if p.is_absolute() and p.is_dir():
                return p
    raise ScenarioFailed(f"%scratch printed no directory: {run.all_text()[:200]!r}")


def mb(n: int | None) -> float | None:
    return None if n is None else n / MB


@dataclass
class Bench:
    opts: Options
    go: str = ""
    env: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    hello_median: float | None = None
    gonb_hello: Summary | None = None
    gonb_start: Summary | None = None
    start_samples: list[float] = field(default_factory=list)  # kernel launch → kernel_info reply, every start
    ipython_starts: list[float] = field(default_factory=list)  # the same for the stock IPython kernel
    last_token: str = ""
    first_cell_module: Path | None = None  # a copy of a first cell's module, for the cold-cache floor
    _n: int = 0

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

    def repeat_cell(self, k: KernelSession, template: str, *, expect_token: bool = True, **fmt: Any) -> list[float]:
        """Warm up once, then time `repeat` runs, each with a fresh token (a real rebuild every time)."""
        checked(k.execute(template.format(tok=self.token(), **fmt)))
        samples = []
        for _ in range(self.opts.repeat):
            tok = self.token()
            run = checked(k.execute(template.format(tok=tok, **fmt)), tok if expect_token else None)
            samples.append(run.seconds)
        self.last_token = tok
        return samples

    def paired(
        self, k: KernelSession, template: str, commands: list[list[str]], *, expect_token: bool = True
    ) -> tuple[list[float], list[float], CellRun]:
        """Kernel and floor timings, alternating so both see the same machine load.

        Also returns the warm-up cell's run: it may include one-off work (a module fetch, a -race std build)."""
        first = checked(k.execute(template.format(tok=(tok := self.token())), timeout=600))
        kernel, floor = [], []
        with WarmFloor(scratch_dir(k), tok, commands, self.env) as raw:
            for _ in range(self.opts.repeat):
                tok = self.token()
                kernel.append(checked(k.execute(template.format(tok=tok)), tok if expect_token else None).seconds)
                floor.append(raw.time_once())
        return kernel, floor, first

    # --- scenarios on one long-lived kernel -------------------------------------------------

    def main_kernel(self) -> None:
        k = KernelSession(env=FRESH)
        try:
            self.start_samples.append(k.start_seconds)
            time.sleep(3)  # idle: let the start-up (and any background pre-warm) settle
            rss = []
            for _ in range(3):
                rss.append(mb(k.rss_bytes()) or 0.0)
                time.sleep(0.2)
            self.rows.append(
                Row("10 idle kernel RSS (3 s after start)", "MB", summarize(rss), checks=[Check("MB", max(rss), 80)])
            )
            self.guard("1 hello world, warm", "s", lambda: self.hello(k))
            self.guard("4 import github.com/google/uuid", "s", lambda: self.third_party(k))
            self.guard("5 %%test -race", "s", lambda: self.go_test(k))
            self.guard("6 %%bench", "s", lambda: self.go_bench(k))
            self.guard("7 first streamed line", "ms", lambda: self.first_line(k))
            self.meta["rss_after_scenarios_1_7_mb"] = mb(k.rss_bytes())
            self.guard(f"8 print {self.opts.flood_mb} MB", "s", lambda: self.flood(k))
        finally:
            k.shutdown()

    def build_and_run(self) -> list[list[str]]:
        return [[self.go, "build", "-o", "bin", "."], ["./bin"]]

    def hello(self, k: KernelSession) -> None:
        samples, floor_samples, _ = self.paired(k, HELLO, self.build_and_run())
        s, floor = summarize(samples), summarize(floor_samples)
        self.hello_median = s.median
        checks = [Check("×floor", ratio(s.median, floor.median), 1.15)]
        checks.append(Check("×GoNB", ratio(s.median, self.gonb_hello.median if self.gonb_hello else None), 0.7))
        self.rows.append(Row("1 hello world, warm", "s", s, floor, self.gonb_hello, checks))

    def third_party(self, k: KernelSession) -> None:
        samples, floor_samples, first = self.paired(k, UUID_CELL, self.build_and_run(), expect_token=False)
        note = f"first use (may fetch into the module cache) {first.seconds:.2f} s"
        self.rows.append(
            Row("4 import github.com/google/uuid", "s", summarize(samples), summarize(floor_samples), note=note)
        )

    def go_test(self, k: KernelSession) -> None:
        cmd = [[self.go, "test", "-race", "-json", "."]]
        samples, floor_samples, first = self.paired(k, TEST_CELL, cmd, expect_token=False)
        s, floor = summarize(samples), summarize(floor_samples)
        checks = [Check("×go test -race", ratio(s.median, floor.median), 1.15)]
        note = f"first -race cell {first.seconds:.2f} s"
        self.rows.append(Row("5 %%test -race", "s", s, floor, checks=checks, note=note))

    def go_bench(self, k: KernelSession) -> None:
        cmd = [[self.go, "test", "-json", "-run", "^$", "-bench", ".", "-benchmem", *BENCH_FLAGS, "."]]
        samples, floor_samples, _ = self.paired(k, BENCH_CELL, cmd, expect_token=False)
        s, floor = summarize(samples), summarize(floor_samples)
        checks = [Check("×go test -bench", ratio(s.median, floor.median), 1.15)]
        self.rows.append(Row("6 %%bench", "s", s, floor, checks=checks))

    def first_line(self, k: KernelSession) -> None:
        latencies = []
        for _ in range(self.opts.repeat if not self.opts.quick else 2):
            tok = self.token()
            run = checked(k.execute(STREAM_CELL.format(tok=tok)), tok)
            first = next(m for m in run.messages if m.msg_type == "stream" and tok in m.content["text"])
            printed_ns = int(first.content["text"].split()[0])
            latencies.append((first.arrived_wall_ns - printed_ns) / 1e6)
        s = summarize(latencies)
        self.rows.append(Row("7 first streamed line", "ms", s, checks=[Check("ms", s.median, 100)]))

    def flood(self, k: KernelSession) -> None:
        size = self.opts.flood_mb * MB
        before = k.rss_bytes()
        run = k.execute(FLOOD_CELL.format(tok=self.token(), lines=size // 100), timeout=600)
        after = k.rss_bytes()
        if run.status != "ok":
            raise ScenarioFailed(run.problem())
        shown = sum(len(m.content["text"]) for m in run.messages if m.msg_type == "stream")
        notice = any("truncat" in t.lower() for t in run.all_text().splitlines()[-20:])
        notice_text = "yes" if notice else "NO"
        growth = None if before is None or after is None else (after - before) / MB
        name = f"8 print {self.opts.flood_mb} MB"
        self.rows.append(
            Row(
                name,
                "s",
                summarize([run.seconds]),
                checks=[Check("MB shown", shown / MB, 10.5)],
                note=f"{size / MB / run.seconds:.1f} MB/s incl. the build; truncation notice: {notice_text}",
            )
        )
        self.rows.append(
            Row(
                f"{name}: kernel RSS growth",
                "MB",
                summarize([growth]) if growth is not None else None,
                checks=[Check("MB", growth, 100)],
                note=f"RSS before {mb(before) or 0:.1f} MB, after {mb(after) or 0:.1f} MB",
            )
        )
        nxt = checked(k.execute(HELLO.format(tok=self.token())))
        self.rows.append(
            Row(
                f"{name}: next hello cell",
                "s",
                summarize([nxt.seconds]),
                checks=[Check("×(1)", ratio(nxt.seconds, self.hello_median), 1.5)],
            )
        )

    # --- scenarios that need fresh kernels ------------------------------------------------

    def first_cell_warm(self) -> None:
        samples = []
        floor: Summary | None = None
        for i in range(max(2, self.opts.repeat // 2)):
            k = KernelSession(env=FRESH)
            try:
                self.start_samples.append(k.start_seconds)
                tok = self.token()
                samples.append(checked(k.execute(HELLO.format(tok=tok)), tok).seconds)
                if i == 0:
                    cmds = self.build_and_run()
                    floor = summarize(measure_floor(scratch_dir(k), tok, cmds, 3, self.env, fresh_dir_each=True))
                    self.first_cell_module = Path(tempfile.mkdtemp(prefix="gokernel-first-"))
                    copy_module(scratch_dir(k), self.first_cell_module)
            finally:
                k.shutdown()
        s = summarize(samples)
        checks = [Check("×floor", ratio(s.median, floor.median if floor else None), 1.5)]
        self.rows.append(Row("2 first cell after start, warm build cache", "s", s, floor, checks=checks))

    def first_cell_cold(self) -> None:
        samples = []
        for _ in range(self.opts.cold_repeats):
            cache = tempfile.mkdtemp(prefix="gokernel-gocache-")
            try:
                k = KernelSession(env={**FRESH, "GOCACHE": cache})
                try:
                    time.sleep(5)  # the user types the first cell; the kernel may pre-warm meanwhile
                    tok = self.token()
                    samples.append(checked(k.execute(HELLO.format(tok=tok), timeout=600), tok).seconds)
                finally:
                    k.shutdown()
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        floor = None
        module = self.first_cell_module
        if not self.opts.quick and module is not None:
            cache = tempfile.mkdtemp(prefix="gokernel-gocache-")
            try:
                floor = summarize([run_timed(self.build_and_run(), module, {**self.env, "GOCACHE": cache})])
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        s = summarize(samples)
        note = "floor = go build with an empty GOCACHE (no pre-warm)" if floor else ""
        self.rows.append(
            Row(
                "2 first cell 5 s after start, cold build cache",
                "s",
                s,
                floor,
                checks=[Check("s", s.median, 1.5)],
                note=note,
            )
        )

    def after_decls(self) -> None:
        k = KernelSession(env=FRESH)
        try:
            decl_times: list[float] = []
            done = 0
            for target in self.opts.decl_checkpoints:
                name = f"3 trivial cell after {target} decl cells"

                def measure(target: int = target, name: str = name) -> None:
                    nonlocal done
                    while done < target:
                        run = k.execute(decl_cell(done))
                        if run.status != "ok":
                            raise ScenarioFailed(f"declaration cell {done}: {run.problem()}")
                        decl_times.append(run.seconds)
                        done += 1
                    samples, floor_samples, _ = self.paired(k, HELLO, self.build_and_run())
                    s, floor = summarize(samples), summarize(floor_samples)
                    checks = [Check("×(1)", ratio(s.median, self.hello_median), 1.5)]
                    self.rows.append(Row(name, "s", s, floor, checks=checks))

                self.guard(name, "s", measure)
            if decl_times:
                self.rows.append(Row("3 each declaration cell", "s", summarize(decl_times)))
        finally:
            k.shutdown()

    def gonb(self) -> None:
        if not self.opts.with_gonb:
            self.meta["gonb"] = "not requested (--with-gonb)"
            return
        with tempfile.TemporaryDirectory(prefix="gokernel-gonb-") as tmp:
            try:
                kernels, env = _gonb.prepare(self.go, self.env, Path(tmp))
            except _gonb.GoNBUnavailable as e:
                self.meta["gonb"] = f"skipped: {e}"
                print(f"GoNB skipped: {e}", file=sys.stderr)
                return
            starts, samples = [], []
            k = KernelSession("gonb", env=env, kernel_dirs=[str(kernels)])
            try:
                starts.append(k.start_seconds)
                samples = self.repeat_cell(k, GONB_HELLO)
            finally:
                k.shutdown()
            self.gonb_hello, self.gonb_start = summarize(samples), summarize(starts)
            self.meta["gonb"] = "measured"

    def kernel_starts(self) -> None:
        """Start-up side by side: go and the stock IPython kernel (`python3`), alternated so both see the same load."""
        if "python3" not in KernelSpecManager().find_kernel_specs():
            return
        for _ in range(self.opts.repeat):
            for name, samples in (("go", self.start_samples), ("python3", self.ipython_starts)):
                k = KernelSession(name, env=FRESH)
                try:
                    samples.append(k.start_seconds)
                finally:
                    k.shutdown()

    def discovery(self) -> None:
        if not (HERE / "discovery.py").exists():
            return
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.discovery"],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.meta["discovery"] = {"returncode": proc.returncode, "output": proc.stdout, "stderr": proc.stderr[-2000:]}
        print("\n# toolchain discovery (python -m benchmarks.discovery)\n" + proc.stdout.rstrip())
        if proc.returncode != 0:
            self.rows.append(Row("discovery", "s", error=f"benchmarks.discovery exited {proc.returncode}"))

    def run(self) -> None:
        self.go, self.env = go_env()
        if self.opts.wanted("1"):
            self.guard("GoNB", "s", self.gonb)
        self.guard("main kernel", "s", self.main_kernel)
        self.guard("2 first cell after start, warm build cache", "s", self.first_cell_warm)
        self.guard("2 first cell 5 s after start, cold build cache", "s", self.first_cell_cold)
        self.guard("3 declaration cells", "s", self.after_decls)
        self.guard("9 kernel start → kernel_info reply", "s", self.kernel_starts)
        if self.start_samples:
            s = summarize(self.start_samples)
            ipy = summarize(self.ipython_starts) if self.ipython_starts else None
            self.rows.append(
                Row(
                    "9 kernel start → kernel_info reply",
                    "s",
                    s,
                    gonb=self.gonb_start,
                    checks=[Check("s", s.median, 0.2), Check("×IPython", ratio(s.median, ipy and ipy.median), 1.0)],
                    note=f"stock IPython kernel {ipy.median:.3f} s median in this run" if ipy else "",
                )
            )
        self.guard("discovery", "s", self.discovery)


def scenario_order(row: Row) -> int:
    head = row.scenario.split()[0]
    return int(head) if head.isdigit() else 99


def go_version(go: str, env: dict[str, str]) -> str:
    try:
        out = subprocess.run([go, "env", "GOVERSION"], env=env, capture_output=True, text=True, timeout=60)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cells", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CI mode: 2 repeats, small sizes, no GoNB")
    p.add_argument("--with-gonb", action="store_true", help="also measure GoNB (installs it under benchmarks/.gonb)")
    p.add_argument("--repeat", type=int, default=None, help="timed repeats per scenario (default 7, quick 2)")
    p.add_argument("--only", default=None, help="comma-separated scenario numbers to run, e.g. 1,7")
    p.add_argument("--json", type=Path, default=None, help="where to write the JSON (default benchmarks/results/)")
    a = p.parse_args(argv)
    repeat = a.repeat if a.repeat is not None else (2 if a.quick else 7)
    only = frozenset(int(x) for x in a.only.split(",") if x.strip()) if a.only else None
    return Options(
        quick=a.quick, with_gonb=a.with_gonb and not a.quick, repeat=max(1, repeat), json_path=a.json, only=only
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc)
    bench = Bench(opts)
    t0 = time.monotonic()
    bench.run()
    rows = sorted(bench.rows, key=scenario_order)
    meta = {
        "started": started.isoformat(),
        "seconds": round(time.monotonic() - t0, 1),
        "quick": opts.quick,
        "repeat": opts.repeat,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "go": bench.go,
        "go_version": go_version(bench.go, bench.env),
        **bench.meta,
    }
    print(f"\n# gokernel cell latency ({meta['go_version']}, {os.cpu_count()} CPUs, repeat {opts.repeat})")
    print(format_table(rows))
    if "gonb" in bench.meta:
        print(f"GoNB: {bench.meta['gonb']}")
    path = opts.json_path or HERE / "results" / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    write_json(path, document(rows, meta))
    print(f"JSON: {path}  ({meta['seconds']} s)")
    failed = [r.scenario for r in rows if r.error]
    if failed:
        print("FAILED scenarios: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
