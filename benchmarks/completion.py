"""Completion latency and memory of gokernel's gopls-backed completion.

    python -m benchmarks.completion [--quick] [--repeat N] [--decls N] [--json PATH]

Figures come from a real kernel driven through jupyter_client: a request's time runs from the
complete_request to its reply. "Warm" is the steady state while typing: gopls running and the notebook
loaded, every request a different cell text (as each keystroke is). Targets are printed with PASS/MISS
and never asserted; the exit status is non-zero only when a scenario itself failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from ._driver import KernelSession
from ._report import Row, document, format_table, write_json
from ._stats import Check, summarize

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024
WARM_TARGET_MS = 300.0

SETUP = (
    "type Point struct{ X, Y int }\n\n// Norm1 is the taxicab norm.\nfunc (p Point) Norm1() int { return p.X + p.Y }\n",
    'p := Point{1, 2}\nwords := strings.Fields("a b c")\n',
)
# What a user types, one request per keystroke-ish step: std members, a live value, a notebook type.
TYPING = (
    "strings.",
    "strings.Sp",
    "time.N",
    "p.",
    "p.No",
    'buf := bytes.NewBufferString("x")\nbuf.Wr',
    "Point{3, 4}.",
    "for _, w := range words {\n\tw = strings.ToU",
)


@dataclass
class Options:
    quick: bool = False
    repeat: int = 5
    decls: int = 200
    json_path: Path | None = None


def tree_rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / MB
    except psutil.Error:
        return None


def gopls_pids(pid: int | None) -> list[int]:
    if pid is None:
        return []
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True) if p.name() == "gopls"]
    except psutil.Error:
        return []


def still_running(pids: list[int], wait: float = 5.0) -> list[int]:
    deadline = time.monotonic() + wait
    while True:
        left = []
        for pid in pids:
            try:
                if psutil.Process(pid).name() == "gopls":
                    left.append(pid)
            except psutil.Error:
                pass
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def complete_ms(k: KernelSession, code: str) -> tuple[float, dict[str, Any]]:
    t0 = time.monotonic()
    reply = k.kc.complete(code, len(code), reply=True, timeout=60)["content"]
    return (time.monotonic() - t0) * 1000, reply


def from_gopls(reply: dict[str, Any]) -> bool:
    return bool(reply.get("metadata", {}).get("_jupyter_types_experimental"))


class Bench:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.rows: list[Row] = []
        self.meta: dict[str, Any] = {}

    def guard(self, scenario: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report the failure as a row and go on
            self.rows.append(Row(scenario, "ms", error=f"{type(e).__name__}: {e}"[:300]))

    def ok(self, k: KernelSession, code: str) -> None:
        run = k.execute(code)
        if run.status != "ok":
            raise RuntimeError(f"cell failed: {run.all_text()[-300:]}")

    def typing(self, k: KernelSession, label: str, idle_rss: float | None) -> None:
        # The first request starts gopls; wait (as a user would, typing on) until it answers.
        t0 = time.monotonic()
        while True:
            ms, reply = complete_ms(k, "strings.")
            if from_gopls(reply):
                break
            if time.monotonic() - t0 > 300:
                raise TimeoutError("gopls did not answer within 300 s")
            time.sleep(0.2)
        ready_s = time.monotonic() - t0
        samples: list[float] = []
        misses = 0
        for r in range(self.opts.repeat):
            for code in TYPING:
                # A distinct text each time, as while typing: gopls re-checks the edited view every request.
                ms, reply = complete_ms(k, f"// {r}\n{code}")
                samples.append(ms)
                misses += not from_gopls(reply)
        s = summarize(samples)
        note = f"gopls ready {ready_s:.1f} s after the first request; {misses} of {len(samples)} fell back"
        self.rows.append(
            Row(f"{label}: warm completion", "ms", s, checks=[Check("ms", s.median, WARM_TARGET_MS)], note=note)
        )
        same = summarize([complete_ms(k, "p.No")[0] for _ in range(self.opts.repeat * 3)])
        self.rows.append(Row(f"{label}: the same request again", "ms", same))
        rss = tree_rss_mb(k.pid)
        if rss is not None:
            servers = sum(tree_rss_mb(p) or 0.0 for p in gopls_pids(k.pid))
            note = f"gopls {servers:.0f} MB"
            if idle_rss is not None:
                note += f"; idle kernel tree before the first completion {idle_rss:.0f} MB (no gopls)"
            self.rows.append(Row(f"{label}: kernel tree RSS with gopls", "MB", summarize([rss]), note=note))

    def small_notebook(self) -> None:
        k = KernelSession(env={"JPY_SESSION_NAME": f"/bench/completion-{os.getpid()}.ipynb"})
        servers: list[int] = []
        try:
            for cell in SETUP:
                self.ok(k, cell)
            time.sleep(2)
            idle = tree_rss_mb(k.pid)
            self.meta["gopls_before_first_completion"] = bool(gopls_pids(k.pid))
            self.typing(k, "1 small notebook", idle)
            servers = gopls_pids(k.pid)
        finally:
            k.shutdown()  # shutdown_kernel(now=True): killed
        self.meta["gopls_left_after_kill"] = bool(still_running(servers))

    def big_notebook(self) -> None:
        k = KernelSession(env={"JPY_SESSION_NAME": f"/bench/completion-big-{os.getpid()}.ipynb"})
        try:
            for cell in SETUP:
                self.ok(k, cell)
            for i in range(self.opts.decls):
                self.ok(k, f"func helper{i}(x int) int {{ return x + {i} }}\ntype Rec{i} struct{{ A, B int }}")
            self.typing(k, f"2 after {self.opts.decls} declaration cells", None)
        finally:
            k.shutdown()


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(prog="python -m benchmarks.completion", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CI mode: 2 repeats, 20 declaration cells")
    p.add_argument("--repeat", type=int, default=None, help="rounds over the typing script (default 5, quick 2)")
    p.add_argument("--decls", type=int, default=None, help="declaration cells of scenario 2 (default 200)")
    p.add_argument("--json", type=Path, default=None, help="where to write the JSON (default benchmarks/results/)")
    a = p.parse_args(argv)
    repeat = a.repeat if a.repeat is not None else (2 if a.quick else 5)
    decls = a.decls if a.decls is not None else (20 if a.quick else 200)
    return Options(quick=a.quick, repeat=max(1, repeat), decls=max(0, decls), json_path=a.json)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc)
    bench = Bench(opts)
    t0 = time.monotonic()
    bench.guard("1 small notebook", bench.small_notebook)
    bench.guard("2 declaration cells", bench.big_notebook)
    meta = {
        "started": started.isoformat(),
        "seconds": round(time.monotonic() - t0, 1),
        "quick": opts.quick,
        "repeat": opts.repeat,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        **bench.meta,
    }
    print(f"\n# gokernel completion latency ({os.cpu_count()} CPUs, repeat {opts.repeat})")
    print(format_table(bench.rows))
    print(
        f"gopls before the first completion: {meta.get('gopls_before_first_completion')}; "
        f"left after the kernel was killed: {meta.get('gopls_left_after_kill')}"
    )
    path = opts.json_path or HERE / "results" / f"completion-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    write_json(path, document(bench.rows, meta))
    print(f"JSON: {path}")
    return 1 if any(r.error for r in bench.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
