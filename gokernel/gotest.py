"""`%%test` / `%%bench` magic arguments -> `go test` invocations (pure functions), bench history.

API:
    parse_test_args(args, *, cell_tests, race_available, race_unavailable_reason="") -> TestInvocation
        TestInvocation(go_test_args, notes, race): args go after `go test -json`
    parse_bench_args(args, *, cell_benchmarks) -> BenchInvocation
        BenchInvocation(go_test_args, toolchains, count)
    BenchHistory: .previous(runs) -> earlier runs of the same benchmarks or None; .record(runs)
    format_progress(Progress) -> str      "▶ 12 passed, 1 failed, 3 running"
Unknown flags raise ValueError with a message naming the flag and listing the accepted ones.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gokernel.testreport import BenchResult, Progress, group_benchmarks

TEST_FLAGS = ("-run", "-v", "-short", "-cover", "-timeout", "-shuffle", "-cpu", "-failfast", "-race", "-count")
BENCH_FLAGS = ("-bench", "-count", "-benchtime", "-cpu", "-benchmem", "--go")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)


def _split(args: str) -> list[str]:
    # Go style `-flag=value` and `--flag` both work; argparse needs one spelling per option.
    out: list[str] = []
    for tok in shlex.split(args):
        if re.match(r"^-[A-Za-z]", tok):
            tok = "-" + tok
        out.append(tok)
    return out


def _anchored(names: Sequence[str]) -> str:
    return "^(" + "|".join(re.escape(n) for n in names) + ")$"


def _check_unknown(extra: list[str], accepted: Sequence[str], magic: str) -> None:
    if extra:
        raise ValueError(f"{magic}: unknown argument {extra[0].removeprefix('-')!r}; accepted: {', '.join(accepted)}")


@dataclass
class TestInvocation:
    __test__ = False
    go_test_args: list[str]
    notes: list[str] = field(default_factory=list)
    race: bool = False


def parse_test_args(
    args: str, *, cell_tests: Sequence[str], race_available: bool, race_unavailable_reason: str = ""
) -> TestInvocation:
    p = _Parser(prog="%%test", add_help=False, allow_abbrev=False)
    p.add_argument("--run")
    p.add_argument("--v", action="store_true")
    p.add_argument("--short", action="store_true")
    p.add_argument("--cover", action="store_true")
    p.add_argument("--timeout")
    p.add_argument("--shuffle")
    p.add_argument("--cpu")
    p.add_argument("--failfast", action="store_true")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--race", nargs="?", const="true", default=None)
    try:
        ns, extra = p.parse_known_args(_split(args))
    except ValueError as e:
        raise ValueError(f"%%test: {str(e).replace('--', '-')}") from None
    _check_unknown(extra, TEST_FLAGS, "%%test")
    notes: list[str] = []
    out: list[str] = []
    want_race = ns.race is None or ns.race.lower() not in ("false", "0")
    race = want_race and race_available
    if want_race and not race_available:
        notes.append(f"race detector off: {race_unavailable_reason or 'not available with this toolchain'}")
    if race:
        out.append("-race")
    out.append(f"-count={ns.count}")
    if ns.run is not None:
        out.append(f"-run={ns.run}")
    elif cell_tests:
        out.append(f"-run={_anchored(cell_tests)}")
        notes.append(f"running this cell's tests: {', '.join(cell_tests)}")
    for flag in ("v", "short", "cover", "failfast"):
        if getattr(ns, flag):
            out.append(f"-{flag}")
    for flag in ("timeout", "shuffle", "cpu"):
        value = getattr(ns, flag)
        if value is not None:
            out.append(f"-{flag}={value}")
    return TestInvocation(out, notes, race)


@dataclass
class BenchInvocation:
    go_test_args: list[str]
    toolchains: list[str] = field(default_factory=list)  # from --go A,B; empty: the active toolchain
    count: int = 5
    notes: list[str] = field(default_factory=list)


def parse_bench_args(args: str, *, cell_benchmarks: Sequence[str]) -> BenchInvocation:
    p = _Parser(prog="%%bench", add_help=False, allow_abbrev=False)
    p.add_argument("--bench")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--benchtime")
    p.add_argument("--cpu")
    p.add_argument("--benchmem", action="store_true")
    p.add_argument("--go", dest="go")
    try:
        ns, extra = p.parse_known_args(_split(args))
    except ValueError as e:
        raise ValueError(f"%%bench: {str(e).replace('--', '-')}") from None
    _check_unknown(extra, BENCH_FLAGS, "%%bench")
    if ns.count < 1:
        raise ValueError("%%bench: -count must be at least 1")
    if ns.bench is not None:
        pattern = ns.bench
    elif cell_benchmarks:
        pattern = _anchored(cell_benchmarks)
    else:
        pattern = "."
    out = ["-run=^$", f"-bench={pattern}", "-benchmem", f"-count={ns.count}"]
    if ns.benchtime is not None:
        out.append(f"-benchtime={ns.benchtime}")
    if ns.cpu is not None:
        out.append(f"-cpu={ns.cpu}")
    toolchains = [t.strip() for t in (ns.go or "").split(",") if t.strip()]
    return BenchInvocation(out, toolchains, ns.count)


class BenchHistory:
    """Last runs per benchmark name in this session, so a re-run is compared with the previous one.

    `previous` / `record` take a benchmark name, a list of BenchResult (as parsed), or groups by name.
    """

    def __init__(self) -> None:
        self._last: dict[str, list[BenchResult]] = {}

    def previous(
        self, runs: str | Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]]
    ) -> list[BenchResult] | None:
        """The earlier runs of the same benchmarks, or None when none of them ran before."""
        names = [runs] if isinstance(runs, str) else list(_group(runs))
        earlier = [r for name in names for r in self._last.get(name, [])]
        return earlier or None

    def record(self, runs: Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]]) -> None:
        for name, group in _group(runs).items():
            self._last[name] = list(group)


def _group(runs: Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]]) -> dict[str, list[BenchResult]]:
    if isinstance(runs, Mapping):
        return {k: list(v) for k, v in runs.items()}
    return group_benchmarks(list(runs))


def format_progress(p: Progress) -> str:
    if p.benchmarks and not (p.passed or p.failed or p.skipped):
        running = ", running" if p.running else ""
        return f"▶ {p.benchmarks} benchmark result{'s' if p.benchmarks != 1 else ''}{running}"
    parts = [f"{p.passed} passed"]
    if p.failed:
        parts.append(f"{p.failed} failed")
    if p.skipped:
        parts.append(f"{p.skipped} skipped")
    if p.running:
        parts.append(f"{p.running} running")
    return "▶ " + ", ".join(parts)
