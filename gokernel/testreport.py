"""`go test -json` (test2json) events -> TestRun model, parsed incrementally.

API:
    TestEventParser(linemap=None)
        .feed(line)      one stdout line of `go test -json`; non-JSON lines are kept in TestRun.raw_output
        .progress()      Progress(passed, failed, skipped, running, benchmarks)
        .result()        TestRun
    TestRun: tests (top-level TestCase tree), packages, build_errors, build_output, races, benchmarks,
             coverage, elapsed, passed/failed/skipped, panicked, timeout, raw_output, package_output
    TestCase: name, full_name, status (pass|fail|skip|run), elapsed, output, failures, subtests,
              race (failed because of a data race), panicked
    Failure: message, file, line, loc (CellLoc from the linemap)
    Race / RaceAccess / GoroutineCreation / Frame; parse_race_reports(text, linemap)
    BenchResult: name (no -N suffix), procs, iterations, metrics {unit: value}
    group_benchmarks(results) -> {name: [BenchResult, ...]}  in first-seen order

Positions are mapped through a `gokernel.linemap.LineMap`; nothing here renders.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from gokernel.diagnostics import Diagnostic, parse_build_output
from gokernel.linemap import CellLoc, LineMap

# `    main_test.go:17: boom` as printed by t.Errorf / t.Fatalf / t.Log
_TEST_LOG = re.compile(r"^\s+(?P<file>[\w.-]+\.go):(?P<line>\d+): (?P<msg>.*)$")
# `BenchmarkFoo/sub-8   	 1000	  123.4 ns/op	  16 B/op	  1 allocs/op`
_BENCH_LINE = re.compile(r"^(?P<name>Benchmark\S*?)(?:-(?P<procs>\d+))?\s+(?P<iters>\d+)\s+(?P<rest>\d.*)$")
_COVERAGE = re.compile(r"coverage: (?P<pct>[\d.]+)% of statements")
_FRAME_FILE = re.compile(r"^\s+(?P<file>\S+?):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")
_ACCESS = re.compile(
    r"^(?P<prev>Previous )?(?P<kind>[Rr]ead|[Ww]rite)(?: at (?P<addr>0x[0-9a-f]+))?"
    r" by (?:goroutine (?P<gid>\d+)|(?P<main>main goroutine)):$"
)
_CREATED = re.compile(r"^Goroutine (?P<gid>\d+) \((?P<state>[^)]*)\) created at:$")
_GOROUTINE_HEADER = re.compile(r"^goroutine \d+ \[[^\]]*\]:$")
_RACE_START = "WARNING: DATA RACE"
_RACE_SEP = "=================="
# Frames in these packages are machinery, collapsed in the report.
_RUNTIME_PREFIXES = ("runtime.", "testing.", "main.main()", "sync.", "internal/", "reflect.")


@dataclass
class Frame:
    func: str
    file: str
    line: int
    mapped: CellLoc | None = None
    is_user: bool = False


@dataclass
class RaceAccess:
    kind: str  # "read" | "write"
    goroutine: int | None  # None for the main goroutine
    previous: bool
    frames: list[Frame] = field(default_factory=list)


@dataclass
class GoroutineCreation:
    goroutine: int
    state: str
    frames: list[Frame] = field(default_factory=list)


@dataclass
class Race:
    accesses: list[RaceAccess] = field(default_factory=list)
    creations: list[GoroutineCreation] = field(default_factory=list)
    test: str | None = None
    text: str = ""


@dataclass
class Failure:
    message: str
    file: str = ""
    line: int = 0
    loc: CellLoc | None = None


@dataclass
class TestCase:
    __test__ = False  # not a pytest class
    name: str  # last path element ("b" for TestA/b)
    full_name: str
    status: str = "run"  # pass | fail | skip | run
    elapsed: float | None = None
    output: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    subtests: list[TestCase] = field(default_factory=list)
    race: bool = False
    panicked: bool = False


@dataclass
class BenchResult:
    name: str
    procs: int
    iterations: int
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class PackageResult:
    name: str
    status: str = "run"
    elapsed: float | None = None
    failed_build: str | None = None


@dataclass
class Progress:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    running: int = 0
    benchmarks: int = 0  # benchmark result lines so far


@dataclass
class TestRun:
    __test__ = False  # not a pytest class
    tests: list[TestCase] = field(default_factory=list)
    packages: list[PackageResult] = field(default_factory=list)
    build_errors: list[Diagnostic] = field(default_factory=list)
    build_output: str = ""
    races: list[Race] = field(default_factory=list)
    benchmarks: list[BenchResult] = field(default_factory=list)
    coverage: float | None = None
    elapsed: float | None = None
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    panicked: list[str] = field(default_factory=list)
    timeout: bool = False
    package_output: list[str] = field(default_factory=list)
    raw_output: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.build_errors and self.failed == 0 and all(p.status != "fail" for p in self.packages)

    def all_tests(self) -> list[TestCase]:
        out: list[TestCase] = []

        def walk(cases: list[TestCase]) -> None:
            for c in cases:
                out.append(c)
                walk(c.subtests)

        walk(self.tests)
        return out

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def _is_panic_line(line: str) -> bool:
    # A -timeout expiry is reported as a panic too; it is shown as a timeout instead.
    return line.startswith("panic: ") and not line.startswith("panic: test timed out")


# `testing.go:1712: race detected during execution of test`: the race card and the row's badge say it.
_RACE_DETECTED_ROW = re.compile(r"^\s*testing\.go:\d+: race detected during execution of test\s*$")


def condense_output(lines: list[str]) -> list[str]:
    """Test output without race reports (shown separately) and without runtime/testing stack frames."""
    out: list[str] = []
    in_race = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped == _RACE_START:
            in_race = True
            if out and out[-1].strip() == _RACE_SEP:
                out.pop()
        elif in_race:
            in_race = stripped != _RACE_SEP
        elif _RACE_DETECTED_ROW.match(line):
            pass
        elif i + 1 < len(lines) and (m := _FRAME_FILE.match(lines[i + 1])) and not line.startswith("\t"):
            # A stack frame: `pkg.func(args)` then `\t/path/file.go:12 +0x1d`; keep only notebook frames.
            if m["file"].rsplit("/", 1)[-1] in ("main.go", "main_test.go"):
                out += [line, lines[i + 1]]
            i += 2
            continue
        else:
            out.append(line)
        i += 1
    # Goroutine headers left without any notebook frame say nothing; runs of blank lines collapse.
    kept = [
        ln
        for j, ln in enumerate(out)
        if not (_GOROUTINE_HEADER.match(ln) and (j + 1 == len(out) or not out[j + 1].strip()))
    ]
    return [ln for j, ln in enumerate(kept) if ln.strip() or (0 < j < len(kept) - 1 and kept[j - 1].strip())]


def _frame(func: str, file: str, line: int, linemap: LineMap | None) -> Frame:
    base = file.rsplit("/", 1)[-1]
    mapped = linemap.lookup(base, line) if linemap is not None else None
    is_user = mapped is not None or (base in ("main.go", "main_test.go") and not func.startswith(_RUNTIME_PREFIXES))
    return Frame(func=func, file=base, line=line, mapped=mapped, is_user=is_user)


def _parse_stack(lines: list[str], linemap: LineMap | None) -> list[Frame]:
    """Pairs of `  pkg.func()` / `      /path/file.go:12 +0x1d` lines."""
    frames: list[Frame] = []
    func: str | None = None
    for line in lines:
        m = _FRAME_FILE.match(line)
        if m and func is not None:
            frames.append(_frame(func, m["file"], int(m["line"]), linemap))
            func = None
        elif line.strip():
            func = line.strip()
    return frames


def parse_race_reports(text: str, linemap: LineMap | None) -> list[Race]:
    races: list[Race] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != _RACE_START:
            i += 1
            continue
        block: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != _RACE_SEP:
            block.append(lines[i])
            i += 1
        races.append(_parse_race_block(block, linemap))
    return races


def _parse_race_block(block: list[str], linemap: LineMap | None) -> Race:
    race = Race(text="\n".join([_RACE_START, *block]))
    # Sections are separated by blank lines; each starts with a header line.
    sections: list[list[str]] = []
    for line in block:
        if not line.strip():
            continue
        if not line.startswith(" "):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
    for header, *body in sections:
        if m := _ACCESS.match(header.strip()):
            gid = int(m["gid"]) if m["gid"] else None
            race.accesses.append(RaceAccess(m["kind"].lower(), gid, bool(m["prev"]), _parse_stack(body, linemap)))
        elif m := _CREATED.match(header.strip()):
            race.creations.append(GoroutineCreation(int(m["gid"]), m["state"], _parse_stack(body, linemap)))
    return race


def parse_bench_line(line: str) -> BenchResult | None:
    m = _BENCH_LINE.match(line.strip())
    if m is None:
        return None
    fields = m["rest"].split()
    metrics: dict[str, float] = {}
    for value, unit in zip(fields[0::2], fields[1::2], strict=False):
        try:
            metrics[unit] = float(value)
        except ValueError:
            return None
    if not metrics:
        return None
    return BenchResult(m["name"], int(m["procs"] or 1), int(m["iters"]), metrics)


def group_benchmarks(results: list[BenchResult]) -> dict[str, list[BenchResult]]:
    groups: dict[str, list[BenchResult]] = {}
    for r in results:
        groups.setdefault(r.name, []).append(r)
    return groups


class TestEventParser:
    __test__ = False  # not a pytest class

    def __init__(self, linemap: LineMap | None = None) -> None:
        self.linemap = linemap if linemap is not None else LineMap()
        self._run = TestRun()
        self._cases: dict[str, TestCase] = {}
        self._packages: dict[str, PackageResult] = {}
        self._build_text: list[str] = []
        self._partial: dict[str | None, str] = {}  # test2json may split long output lines

    def feed(self, line: str | bytes) -> None:
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        text = text.rstrip("\r\n")
        if not text.strip():
            return
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if not isinstance(event, dict) or "Action" not in event:
            self._run.raw_output.append(text)
            self._run.package_output.append(text)
            return
        self._handle(event)

    def _case(self, full_name: str) -> TestCase:
        case = self._cases.get(full_name)
        if case is not None:
            return case
        parent_name, _, leaf = full_name.rpartition("/")
        case = TestCase(name=leaf if parent_name else full_name, full_name=full_name)
        self._cases[full_name] = case
        if parent_name:
            self._case(parent_name).subtests.append(case)
        else:
            self._run.tests.append(case)
        return case

    def _package(self, name: str) -> PackageResult:
        pkg = self._packages.get(name)
        if pkg is None:
            pkg = self._packages[name] = PackageResult(name)
            self._run.packages.append(pkg)
        return pkg

    def _handle(self, ev: dict[str, Any]) -> None:
        action = ev["Action"]
        test: str | None = ev.get("Test")
        output: str = ev.get("Output") or ""
        if action == "build-output":
            self._build_text.append(output)
            return
        if action == "build-fail":
            self._finish_build()
            return
        if action == "output":
            self._output(test, output)
            return
        if action == "bench":
            # Some test2json versions report benchmark result lines as their own action.
            self._output(test, output)
            return
        if test is None:
            pkg = self._package(ev.get("Package", ""))
            if action in ("pass", "fail", "skip"):
                pkg.status = action
                pkg.elapsed = ev.get("Elapsed")
                self._run.elapsed = (self._run.elapsed or 0.0) + float(ev.get("Elapsed") or 0.0)
                if ev.get("FailedBuild"):
                    pkg.failed_build = ev["FailedBuild"]
                    self._finish_build()
            return
        if test.startswith("Benchmark"):
            return  # benchmarks are tracked through their result lines
        case = self._case(test)
        if action in ("pass", "fail", "skip"):
            case.status = action
            case.elapsed = ev.get("Elapsed")
        elif action in ("run", "pause", "cont", "start"):
            case.status = "run"

    def _finish_build(self) -> None:
        if not self._build_text:
            return
        text = "".join(self._build_text)
        self._build_text = []
        self._run.build_output += text
        self._run.build_errors.extend(parse_build_output(text, self.linemap))

    def _output(self, test: str | None, output: str) -> None:
        # Reassemble lines split by test2json (long lines come in several events without "\n").
        pending = self._partial.pop(test, "") + output
        if not pending.endswith("\n"):
            self._partial[test] = pending
            return
        for line in pending.splitlines():
            self._output_line(test, line)

    def _output_line(self, test: str | None, line: str) -> None:
        self._run.raw_output.append(line)
        if bench := parse_bench_line(line):
            self._run.benchmarks.append(bench)
            return
        if m := _COVERAGE.search(line):
            self._run.coverage = float(m["pct"])
        if line.startswith("panic: test timed out"):
            self._run.timeout = True
        if test is None or test.startswith("Benchmark"):
            self._run.package_output.append(line)
            if _is_panic_line(line):
                self._mark_panic_from_package_output()
            return
        case = self._case(test)
        stripped = line.strip()
        if stripped.startswith(("=== RUN", "=== PAUSE", "=== CONT", "=== NAME")):
            return
        case.output.append(line)
        if _is_panic_line(line):
            case.panicked = True
        if m := _TEST_LOG.match(line):
            if m["msg"] == "race detected during execution of test":
                case.race = True
            elif m["file"] in ("main.go", "main_test.go"):
                lineno = int(m["line"])
                case.failures.append(Failure(m["msg"], m["file"], lineno, self.linemap.lookup(m["file"], lineno)))

    def _mark_panic_from_package_output(self) -> None:
        # A panicking test's goroutine kills the binary; the last test still running is the culprit.
        running = [c for c in self._cases.values() if c.status == "run"]
        if running:
            running[-1].panicked = True

    def progress(self) -> Progress:
        p = Progress()
        for c in self._cases.values():
            if c.status == "pass":
                p.passed += 1
            elif c.status == "fail":
                p.failed += 1
            elif c.status == "skip":
                p.skipped += 1
            else:
                p.running += 1
        p.benchmarks = len(self._run.benchmarks)
        return p

    def result(self) -> TestRun:
        for test, rest in list(self._partial.items()):
            self._output_line(test, rest)
        self._partial.clear()
        self._finish_build()
        run = self._run
        all_text = "\n".join(run.raw_output)
        run.races = parse_race_reports(all_text, self.linemap)
        self._attribute_races()
        prog = self.progress()
        run.passed, run.failed, run.skipped = prog.passed, prog.failed, prog.skipped
        for c in self._cases.values():
            if c.panicked or any(_is_panic_line(line) for line in c.output):
                c.panicked = True
                if c.full_name not in run.panicked:
                    run.panicked.append(c.full_name)
        if run.timeout or run.panicked:
            # Tests still "running" when the binary died did not pass.
            for c in self._cases.values():
                if c.status == "run":
                    c.status = "fail"
            prog = self.progress()
            run.passed, run.failed, run.skipped = prog.passed, prog.failed, prog.skipped
        return run

    def _attribute_races(self) -> None:
        for case in self._cases.values():
            text = "\n".join(case.output)
            if _RACE_START in text:
                for race in parse_race_reports(text, self.linemap):
                    for r in self._run.races:
                        if r.text == race.text and r.test is None:
                            r.test = case.full_name
                            break
