"""TestEventParser on real `go test -json` output (captured once per session), race parsing, %%test/%%bench args."""

from __future__ import annotations

import json

import pytest

from gokernel import gotest
from gokernel.linemap import CellLoc
from gokernel.testreport import BenchResult, Progress, TestEventParser, TestRun, group_benchmarks
from tests import conftest_gotest
from tests.conftest_gotest import Capture, cell_linemap

gotest_captures = conftest_gotest.gotest_captures


def parse(cap: Capture) -> TestRun:
    p = TestEventParser(cell_linemap())
    for line in cap.lines():
        p.feed(line)
    return p.result()


def by_name(run: TestRun) -> dict[str, str]:
    return {c.full_name: c.status for c in run.all_tests()}


def test_pass_fail_skip_and_parallel_subtests(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["mixed"])
    assert by_name(run) == {
        "TestOK": "pass",
        "TestFail": "fail",
        "TestSkip": "skip",
        "TestSub": "fail",
        "TestSub/a": "pass",
        "TestSub/b": "fail",
        "TestSub/c": "pass",
    }
    assert [c.name for c in run.tests[3].subtests] == ["a", "b", "c"]
    assert (run.passed, run.failed, run.skipped) == (3, 3, 1)
    fail = run.tests[1]
    # t.Errorf at main_test.go:12 is cell[3] line 12 in the fixture's line map
    assert [(f.message, f.loc) for f in fail.failures] == [("boom <b>42</b>", CellLoc(3, 12))]
    assert "<script>alert(1)</script>" in fail.output
    assert run.tests[3].subtests[1].failures[0].message == "sub b failed"
    assert run.tests[3].subtests[0].elapsed is not None and run.tests[3].subtests[0].elapsed >= 0.02
    assert not run.ok and run.elapsed is not None


def test_race_is_parsed_into_accesses_and_creation_stacks(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["race"])
    assert by_name(run) == {"TestRace": "fail", "TestClean": "pass"}
    assert run.tests[0].race and not run.tests[1].race
    assert len(run.races) == 1
    race = run.races[0]
    assert race.test == "TestRace"
    kinds = [(a.kind, a.previous) for a in race.accesses]
    assert kinds == [("write", False), ("write", True)]
    # Which of the two writes the detector sees first depends on scheduling: check both, in either order.
    by_line = {a.frames[0].mapped: a for a in race.accesses}
    assert set(by_line) == {CellLoc(3, 9), CellLoc(3, 12)}
    in_goroutine, in_test = by_line[CellLoc(3, 9)], by_line[CellLoc(3, 12)]
    assert in_goroutine.frames[0].is_user and in_test.frames[0].is_user
    assert [f.is_user for f in in_test.frames[1:]] == [False] * (len(in_test.frames) - 1)
    created = {c.goroutine: c for c in race.creations}
    assert in_goroutine.goroutine in created
    assert created[in_goroutine.goroutine].frames[0].mapped == CellLoc(3, 8)


def test_panic_marks_the_test(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["panic"])
    assert by_name(run) == {"TestBefore": "pass", "TestPanics": "fail"}
    assert run.panicked == ["TestPanics"] and run.tests[1].panicked


def test_build_failure_becomes_diagnostics(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["build"])
    assert run.tests == []
    assert [str(d) for d in run.build_errors] == [
        "cell[3] line 6:2: declared and not used: y",
        "cell[3] line 6:7: undefined: undefinedThing",
    ]
    assert run.packages[0].failed_build and run.packages[0].status == "fail"
    assert not run.ok


def test_timeout_fails_the_running_test(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["timeout"])
    assert run.timeout
    assert by_name(run) == {"TestSleepy": "fail"}
    assert run.panicked == []  # a timeout is reported as such, not as a panic


def test_coverage(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["cover"])
    assert run.coverage == 50.0 and run.ok


def test_benchmarks_with_custom_metrics_and_split_lines(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["bench"])
    groups = group_benchmarks(run.benchmarks)
    assert list(groups) == ["BenchmarkAdd", "BenchmarkAlloc"]
    assert [len(v) for v in groups.values()] == [3, 3]  # -count=3, incl. lines test2json split in two
    add = groups["BenchmarkAdd"][0]
    assert add.iterations == 2000 and add.procs >= 1
    assert add.metrics["widgets/op"] == 2.5
    assert set(add.metrics) == {"ns/op", "widgets/op", "B/op", "allocs/op"}
    assert all(r.metrics["allocs/op"] == 1 for r in groups["BenchmarkAlloc"])
    p = TestEventParser()
    for line in gotest_captures["bench"].lines():
        p.feed(line)
    assert gotest.format_progress(p.progress()) == "▶ 6 benchmark results"


def test_progress_while_feeding(gotest_captures: dict[str, Capture]) -> None:
    p = TestEventParser(cell_linemap())
    lines = gotest_captures["mixed"].lines()
    seen_running = False
    for line in lines:
        p.feed(line.encode())
        seen_running |= p.progress().running > 0
    assert seen_running
    assert p.progress() == Progress(passed=3, failed=3, skipped=1, running=0, benchmarks=0)
    assert gotest.format_progress(p.progress()) == "▶ 3 passed, 3 failed, 1 skipped"


def test_non_json_lines_are_kept_and_long_output_reassembled() -> None:
    p = TestEventParser()
    p.feed("go: downloading example.com/x v1.0.0")
    for chunk in ("part one ", "part two\n"):
        p.feed(json.dumps({"Action": "output", "Package": "scratch", "Test": "TestX", "Output": chunk}))
    p.feed(json.dumps({"Action": "pass", "Package": "scratch", "Test": "TestX", "Elapsed": 0.5}))
    run = p.result()
    assert "go: downloading example.com/x v1.0.0" in run.raw_output
    assert run.tests[0].output == ["part one part two"]
    assert run.tests[0].elapsed == 0.5


def test_parse_test_args_defaults_and_flags() -> None:
    inv = gotest.parse_test_args("", cell_tests=["TestA", "TestB"], race_available=True)
    assert inv.go_test_args == ["-race", "-count=1", "-run=^(TestA|TestB)$"] and inv.race
    inv = gotest.parse_test_args(
        "-v -run=Foo -timeout 3s -cover -short -failfast -shuffle=on -cpu 1,2", cell_tests=[], race_available=True
    )
    assert inv.go_test_args == [
        "-race",
        "-count=1",
        "-run=Foo",
        "-v",
        "-short",
        "-cover",
        "-failfast",
        "-timeout=3s",
        "-shuffle=on",
        "-cpu=1,2",
    ]
    inv = gotest.parse_test_args("", cell_tests=[], race_available=False, race_unavailable_reason="CGO_ENABLED=0")
    assert not inv.race and "-race" not in inv.go_test_args
    assert any("CGO_ENABLED=0" in n for n in inv.notes)
    assert "-race" not in gotest.parse_test_args("-race=false", cell_tests=[], race_available=True).go_test_args


@pytest.mark.parametrize("bad", ["-bogus", "-run", "-bench=.", "-timeo 1s"])
def test_parse_test_args_rejects_unknown_or_incomplete_flags(bad: str) -> None:
    with pytest.raises(ValueError, match="%%test"):
        gotest.parse_test_args(bad, cell_tests=[], race_available=True)


def test_parse_bench_args() -> None:
    inv = gotest.parse_bench_args("", cell_benchmarks=["BenchmarkX"])
    assert inv.go_test_args == ["-run=^$", "-bench=^(BenchmarkX)$", "-benchmem", "-count=5"]
    inv = gotest.parse_bench_args("-bench . -count=3 -benchtime=100x -cpu 1,2 --go 1.22,go1.27.3", cell_benchmarks=[])
    assert inv.go_test_args == ["-run=^$", "-bench=.", "-benchmem", "-count=3", "-benchtime=100x", "-cpu=1,2"]
    assert inv.toolchains == ["1.22", "go1.27.3"] and inv.count == 3
    assert gotest.parse_bench_args("", cell_benchmarks=[]).go_test_args[1] == "-bench=."
    with pytest.raises(ValueError, match="unknown argument '-v'"):
        gotest.parse_bench_args("-v", cell_benchmarks=[])


def test_bench_history_returns_the_previous_run() -> None:
    h = gotest.BenchHistory()
    first = [BenchResult("BenchmarkA", 2, 100, {"ns/op": 10.0})]
    assert h.previous(first) is None
    h.record(first)
    second = [BenchResult("BenchmarkA", 2, 100, {"ns/op": 5.0}), BenchResult("BenchmarkB", 2, 1, {"ns/op": 1.0})]
    assert h.previous(second) == first
    h.record(second)
    assert h.previous("BenchmarkA") == [second[0]]
