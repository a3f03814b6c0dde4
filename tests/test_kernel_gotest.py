"""%%test / %%bench through a real kernel: races mapped to cells, passing suites, benchmark statistics."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kernel_client import Execution, GoKernelDriver
from tests.toolchain_fixtures import GO_NEW, GO_OLD

TEST_MIME = "application/vnd.gokernel.testreport+json"
BENCH_MIME = "application/vnd.gokernel.bench+json"

RACY = "var counter int\nfunc incr(wg *sync.WaitGroup) {\n\tcounter++\n\twg.Done()\n}"
RACE_TEST = (
    "%%test\nfunc TestCounter(t *testing.T) {\n\tvar wg sync.WaitGroup\n\tfor i := 0; i < 2; i++ {\n"
    "\t\twg.Add(1)\n\t\tgo incr(&wg)\n\t}\n\twg.Wait()\n}"
)
CONCAT_BENCH = (
    'func BenchmarkConcat(b *testing.B) {\n\tfor i := 0; i < b.N; i++ {\n\t\ts := ""\n'
    '\t\tfor j := 0; j < 20; j++ {\n\t\t\ts += "x"\n\t\t}\n\t\t_ = s\n\t}\n}'
)


@pytest.fixture(scope="module")
def kernel(go_roots: dict[str, Path]) -> Iterator[GoKernelDriver]:
    paths = os.pathsep.join(str(go_roots[v]) for v in (GO_OLD, GO_NEW))
    k = GoKernelDriver(env={"GOKERNEL_TOOLCHAIN_PATHS": paths})
    yield k
    k.shutdown()


def report_bundle(ex: Execution, mime: str) -> dict[str, Any]:
    found = [m["content"]["data"] for m in ex.displays() if mime in m["content"]["data"]]
    assert found, [list(m["content"]["data"]) for m in ex.displays()]
    data = found[-1]
    assert data["text/plain"] and data["text/html"]  # every report has a text fallback and HTML
    return dict(data)


def report(ex: Execution, mime: str) -> dict[str, Any]:
    return dict(report_bundle(ex, mime)[mime])


def assert_one_report(ex: Execution) -> None:
    """Progress and report share one display (the report replaces it); nothing goes to stderr."""
    # Charts are image outputs of their own, after the report.
    shown = [m for m in ex.displays() if "image/svg+xml" not in m["content"]["data"]]
    assert shown and shown[0]["msg_type"] == "display_data", [m["msg_type"] for m in shown]
    assert all(m["msg_type"] == "update_display_data" for m in shown[1:])
    assert {m["content"]["transient"].get("display_id") for m in shown} == {
        shown[0]["content"]["transient"]["display_id"]
    }
    assert ex.stream("stderr") == "" and ex.stream() == ""


def test_race_is_reported_with_frames_mapped_to_cells(kernel: GoKernelDriver) -> None:
    decl = kernel.execute(RACY)
    assert decl.status == "ok"
    ex = kernel.execute(RACE_TEST, timeout=300)
    assert ex.status == "error"
    assert "data race" in ex.reply["content"]["evalue"]
    model = report(ex, TEST_MIME)
    assert len(model["races"]) >= 1
    decl_cell = decl.reply["content"]["execution_count"]
    frames = [f for access in model["races"][0]["accesses"] for f in access["frames"]]
    # counter++ is line 3 of the declaration cell.
    assert any(f["mapped"] == {"cell": decl_cell, "line": 3, "column": None} for f in frames), frames
    [test] = model["tests"]
    assert test["name"] == "TestCounter" and test["status"] == "fail" and test["race"]
    text = report_bundle(ex, TEST_MIME)
    assert f"cell[{decl_cell}] line 3" in text["text/plain"]
    # One output: the report replaced the progress line; the reply is a summary, not the report again.
    assert_one_report(ex)
    assert ex.reply["content"]["traceback"] == [f"TestFailure: {ex.reply['content']['evalue']}"]
    assert ex.reply["content"]["evalue"] in ("1 failed, 1 data race", "1 failed, 2 data races")


def test_fixed_with_a_mutex_passes_with_subtests(kernel: GoKernelDriver) -> None:
    assert kernel.execute("var mu sync.Mutex\nfunc incr(wg *sync.WaitGroup) {\n\tmu.Lock()\n\tcounter++\n"
                          "\tmu.Unlock()\n\twg.Done()\n}").status == "ok"  # fmt: skip
    ex = kernel.execute(
        RACE_TEST
        + '\nfunc TestTable(t *testing.T) {\n\tfor _, n := range []int{1, 2} {\n\t\tt.Run(fmt.Sprint("n=", n), '
        "func(t *testing.T) {\n\t\t\tif n < 0 {\n\t\t\t\tt.Fatal(n)\n\t\t\t}\n\t\t})\n\t}\n}",
        timeout=300,
    )
    assert ex.status == "ok", ex.reply["content"]
    model = report(ex, TEST_MIME)
    assert model["races"] == []
    by_name = {t["name"]: t for t in model["tests"]}
    assert by_name["TestCounter"]["status"] == "pass"
    assert sorted(s["name"] for s in by_name["TestTable"]["subtests"]) == ["n=1", "n=2"]


def test_failing_assertion_points_at_the_cell_line(kernel: GoKernelDriver) -> None:
    ex = kernel.execute(
        '%%test\nfunc TestWrong(t *testing.T) {\n\tif 1+1 != 3 {\n\t\tt.Errorf("math is %d", 2)\n\t}\n}'
    )
    assert ex.status == "error"
    n = ex.reply["content"]["execution_count"]
    plain = report(ex, TEST_MIME)
    assert plain["tests"][0]["status"] == "fail"
    text = report_bundle(ex, TEST_MIME)["text/plain"]
    assert f"cell[{n}] line 4" in text and "math is 2" in text
    assert_one_report(ex)
    assert ex.reply["content"]["traceback"] == ["TestFailure: 1 failed"]
    # The notes that used to be a stderr banner are part of the report.
    assert "running this cell's tests: TestWrong" in text
    # Program output in HTML is escaped, never markup.
    ex = kernel.execute('%%test\nfunc TestShout(t *testing.T) {\n\tt.Log("<script>x</script>")\n\tt.Fail()\n}')
    html = report_bundle(ex, TEST_MIME)
    assert "<script>x" not in html["text/html"] and "&lt;script&gt;x" in html["text/html"]


def test_bench_statistics_and_comparison_with_the_previous_run(kernel: GoKernelDriver) -> None:
    assert kernel.execute(CONCAT_BENCH).status == "ok"
    first = kernel.execute("%%bench -count 5 -benchtime 20ms", timeout=300)
    assert first.status == "ok", first.reply["content"]
    model = report(first, BENCH_MIME)
    ns = model["summary"]["BenchmarkConcat"]["ns/op"]
    assert ns["n"] == 5 and ns["lo"] <= ns["median"] <= ns["hi"]
    assert model["summary"]["BenchmarkConcat"]["allocs/op"]["median"] >= 1  # -benchmem is on
    assert "<svg" not in report_bundle(first, BENCH_MIME)["text/html"]  # HTML that an untrusted notebook shows
    [chart] = [m["content"]["data"] for m in first.displays() if "image/svg+xml" in m["content"]["data"]]
    assert "BenchmarkConcat" in chart["image/svg+xml"] and "BenchmarkConcat" in chart["text/plain"]
    assert_one_report(first)
    second = report(kernel.execute("%%bench -count 5 -benchtime 20ms", timeout=300), BENCH_MIME)
    [comparison] = second["comparisons"]
    row = comparison["rows"][0]
    assert row["name"] == "BenchmarkConcat" and row["unit"] == "ns/op"
    assert 0 < row["p"] <= 1 and row["delta"].endswith("%") or row["delta"] == "~"


def test_bench_across_two_go_versions(kernel: GoKernelDriver) -> None:
    assert kernel.execute(CONCAT_BENCH).status == "ok"
    # A version that is not installed is skipped with a note (the notebook still runs on a machine with one Go).
    ex = kernel.execute(f"%%bench -count 3 -benchtime 10ms --go {GO_OLD},{GO_NEW},1.3", timeout=600)
    assert ex.status == "ok", ex.reply["content"]
    assert "skipped --go 1.3: no such Go toolchain" in report_bundle(ex, BENCH_MIME)["text/plain"]
    model = report(ex, BENCH_MIME)
    assert_one_report(ex)  # one display for both toolchains' progress and the report
    charts = [m["content"]["data"] for m in ex.displays() if "image/svg+xml" in m["content"]["data"]]
    assert sorted(c["text/plain"].split()[0] for c in charts) == [f"go{GO_OLD}", f"go{GO_NEW}"]  # one per toolchain
    [comparison] = model["comparisons"]
    assert model["go_version"] == f"go{GO_OLD}"  # the main table is the first toolchain's run
    # Labelled by version (and where each Go lives).
    assert sorted(c.split()[0] for c in (comparison["old"], comparison["new"])) == [f"go{GO_OLD}", f"go{GO_NEW}"]
    assert comparison["rows"] and all("delta" in r for r in comparison["rows"])


def test_build_error_under_an_older_go_is_reported_not_lost(kernel: GoKernelDriver) -> None:
    # b.Loop arrived in Go 1.24; Go 1.22's `go test -json` prints the compile error as plain stderr.
    assert kernel.execute("func BenchmarkLoop(b *testing.B) {\n\tfor b.Loop() {\n\t}\n}").status == "ok"
    try:
        ex = kernel.execute(f"%%bench -count 1 -benchtime 10x --go {GO_OLD},{GO_NEW}", timeout=600)
        assert ex.status == "error"
        content = ex.reply["content"]
        assert content["ename"] == "CompileError" and f"go{GO_OLD}" in content["evalue"]
        assert "Loop" in content["evalue"] and "cell[" in content["evalue"]
        assert content["traceback"] == [f"CompileError: {content['evalue']}"]  # the card has the details
        assert "diagnostics" in str(ex.displays()[-1]["content"]["data"])
    finally:
        assert kernel.execute("%rm BenchmarkLoop").status == "ok"


def test_unclosed_brace_points_at_the_cell(kernel: GoKernelDriver) -> None:
    ex = kernel.execute('func half() {\n\tfmt.Println("never closed")')
    assert ex.status == "error"
    n = ex.reply["content"]["execution_count"]
    assert ex.reply["content"]["evalue"].startswith(f"cell[{n}] line 2: syntax error")
    assert "main.go" not in ex.reply["content"]["evalue"]
    # The same for a %%test cell (its magic line counts as line 1).
    ex = kernel.execute("%%test\nfunc TestHalf(t *testing.T) {\n\tt.Log(1)")
    n = ex.reply["content"]["execution_count"]
    assert ex.status == "error" and ex.reply["content"]["evalue"].startswith(f"cell[{n}] line 3: syntax error")


def test_interrupted_test_run_says_so_in_its_one_output(kernel: GoKernelDriver) -> None:
    running = threading.Event()

    def watch(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "display_data":  # the progress display: go test has started
            running.set()

    result: dict[str, Execution] = {}
    code = '%%test\nfunc TestSlow(t *testing.T) {\n\tt.Log("started")\n\ttime.Sleep(60 * time.Second)\n}'
    t = threading.Thread(target=lambda: result.update(ex=kernel.execute(code, timeout=300, on_message=watch)))
    t.start()
    assert running.wait(240), "go test never started"
    time.sleep(3)  # into the build or the test: either way it is go test that is stopped
    kernel.km.interrupt_kernel()
    t.join(60)
    ex = result["ex"]
    content = ex.reply["content"]
    assert (content["ename"], content["evalue"], content["traceback"]) == (
        "Interrupted",
        "go test was stopped",
        ["Interrupted: go test was stopped"],
    )
    # The progress line does not stay behind as if the tests were still running.
    last = ex.displays()[-1]["content"]["data"]["text/plain"]
    assert last.startswith("■ interrupted")
    assert_one_report(ex)
    assert time.monotonic() - ex.started < 30
