"""Kernel-level tests: the real kernel over ZeroMQ, compiling with a real Go toolchain.

These run in fresh mode (each cell a new program); tests/test_live.py covers the live session."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from .kernel_client import Execution, GoKernelDriver, kernel_fixture, ok

kernel = kernel_fixture({"JPY_SESSION_NAME": "/notebooks/test_kernel.ipynb", "GOKERNEL_MODE": "fresh"})


def test_issue_example_persists_decls_and_adds_imports(kernel: GoKernelDriver) -> None:
    ok(
        kernel,
        'import "strings"\n'
        "type Point struct{X, Y int}\n"
        "func (p Point) Norm1() int { return abs(p.X)+abs(p.Y) }\n"
        "func abs(x int) int {\n\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}\n",
    )
    ex = ok(kernel, 'p := Point{3, -4}\nfmt.Println(p.Norm1(), strings.Repeat("go", 2))')
    assert ex.stream() == "7 gogo\n"


def test_trailing_expression_is_the_result(kernel: GoKernelDriver) -> None:
    ex = ok(kernel, "type Pair struct{A, B int}\nfunc (p Pair) Sum() int { return p.A + p.B }\nq := Pair{2, 5}\nq")
    assert ex.result == "{A:2 B:5}"
    ex = ok(kernel, "q := Pair{2, 5}\nq.Sum() * 2")
    assert ex.result == "14"
    ex = ok(kernel, 'fmt.Println("just runs")')
    assert ex.result is None and ex.stream() == "just runs\n"
    ex = ok(kernel, 'func hello() { fmt.Println("void") }\nhello()')
    assert ex.result is None and ex.stream() == "void\n"


def test_redefinition_replaces_and_unused_top_level_var_is_fine(kernel: GoKernelDriver) -> None:
    ok(kernel, "func answer() int { return 1 }")
    ok(kernel, "func answer() int { return 42 }")
    ex = ok(kernel, "x := 5\nanswer()")
    assert ex.result == "42"


def test_ls_rm_reset(kernel: GoKernelDriver) -> None:
    ok(kernel, 'const Greeting = "hi"\nfunc shout() string { return Greeting + "!" }')
    ex = ok(kernel, "%ls")
    listing = ex.of_type("display_data")[0]["content"]["data"]["text/plain"]
    assert "Greeting" in listing and "shout" in listing
    ok(kernel, "%rm shout")
    ex = kernel.execute("shout()")
    assert ex.status == "error" and "undefined: shout" in ex.reply["content"]["evalue"]


def test_full_main_program_cell(kernel: GoKernelDriver) -> None:
    ex = ok(kernel, 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("whole file")\n}\n')
    assert ex.stream() == "whole file\n"


def test_compile_error_points_to_cell_line(kernel: GoKernelDriver) -> None:
    ex = kernel.execute("a := 1\nb := a + undefinedThing\nfmt.Println(b)")
    assert ex.status == "error"
    content = ex.reply["content"]
    assert content["ename"] == "CompileError"
    n = ex.reply["content"]["execution_count"]
    assert f"cell[{n}] line 2:10" in content["evalue"], content
    assert "undefined: undefinedThing" in content["evalue"]
    assert "main.go" not in "\n".join(content["traceback"])
    html = [m for m in ex.of_type("display_data") if "text/html" in m["content"]["data"]]
    assert html and "undefinedThing" in html[0]["content"]["data"]["text/html"]
    # Shown once: the card has the details, the red traceback under it is one summary line.
    assert content["traceback"] == [f"CompileError: {content['evalue']}"]


@pytest.mark.parametrize("mode", ["live", "fresh"])
def test_several_compile_errors_are_one_card_and_a_one_line_traceback(kernel: GoKernelDriver, mode: str) -> None:
    before = ok(kernel, "%mode").stream().split(":")[0]
    ok(kernel, f"%mode {mode}")
    try:
        ex = kernel.execute("x := missingOne\ny := missingTwo\nfmt.Println(x, y)")
        content = ex.reply["content"]
        assert content["ename"] == "CompileError"
        assert content["traceback"] == [f"CompileError: {content['evalue']} (and 1 more error above)"]
        [card] = [m["content"]["data"] for m in ex.of_type("display_data")]
        assert "missingOne" in card["text/html"] and "missingTwo" in card["text/html"]
        assert ex.stream("stderr") == ""
    finally:
        ok(kernel, f"%mode {before}")


def test_panic_traceback_maps_frames_to_cells(kernel: GoKernelDriver) -> None:
    first = ok(kernel, 'func explode(n int) int {\n\tif n > 2 {\n\t\tpanic("boom")\n\t}\n\treturn n\n}')
    n1 = first.reply["content"]["execution_count"]
    ex = kernel.execute('fmt.Println("before")\nexplode(3)')
    assert ex.status == "error"
    content = ex.reply["content"]
    assert content["ename"] == "panic" and content["evalue"] == "boom"
    tb = "\n".join(content["traceback"])
    assert f"cell[{n1}] line 3" in tb
    assert f"cell[{content['execution_count']}] line 2" in tb
    assert ex.stream() == "before\n"
    # One output, the error: its traceback has the frames with their source lines, no +0x offsets.
    assert ex.of_type("display_data") == []
    assert content["traceback"][0] == "panic: boom"
    assert 'panic("boom")' in tb and "+0x" not in tb


def test_whole_program_cell_panic_points_into_the_cell(kernel: GoKernelDriver) -> None:
    ex = kernel.execute('package main\n\nfunc main() {\n\tvar m map[string]int\n\tm["a"] = 1\n}')
    n = ex.reply["content"]["execution_count"]
    tb = "\n".join(ex.reply["content"]["traceback"])
    assert tb.startswith("panic: assignment to entry in nil map") and f"cell[{n}] line 5" in tb
    assert "main.go" not in tb and "_gkMain" not in tb and "+0x" not in tb
    assert 'm["a"] = 1' in tb  # the source line of the frame
    # The kernel is fine afterwards.
    assert ok(kernel, "1 + 1").result == "2"


def test_display_package_shows_rich_output_while_the_program_runs(kernel: GoKernelDriver) -> None:
    ex = ok(
        kernel,
        'display.HTML("<b>step 1</b>")\n'
        "time.Sleep(800 * time.Millisecond)\n"
        'display.JSON(map[string]any{"n": 2, "tags": []string{"a"}})\n'
        'display.SVG(`<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>`)',
    )
    shown = ex.of_type("display_data")
    assert [sorted(m["content"]["data"]) for m in shown] == [
        ["text/html", "text/plain"],
        ["application/json", "text/plain"],
        ["image/svg+xml", "text/plain"],
    ]
    assert shown[0]["content"]["data"]["text/html"] == "<b>step 1</b>"
    assert shown[1]["content"]["data"]["application/json"] == {"n": 2, "tags": ["a"]}
    # Streamed: the first display arrived while the program was still sleeping.
    assert ex.finished - shown[0]["_t"] > 0.5
    # The same binary run by hand (no side channel on fd 3) skips the display calls and exits cleanly.
    pid = kernel.km.provisioner.pid  # type: ignore[union-attr]
    binary = Path(ok(kernel, "%scratch").stream().strip()) / ".gokernel" / f"kernel-{pid}" / "cell"
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0 and run.stdout == "" and run.stderr == ""


def test_cells_are_built_by_compile_and_link_unless_go_build_is_asked_for(tmp_path: Path) -> None:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": str(tmp_path / "build.ipynb"), "GOKERNEL_MODE": "fresh"})
    try:
        cell = 'import "runtime/debug"\ninfo, ok := debug.ReadBuildInfo()\nok && info.Main.Path == "scratch"'
        # fastbuild links without the go command's module info
        assert ok(k, cell).result == "false"
        ok(k, "%env GOKERNEL_BUILD=go")
        assert ok(k, cell).result == "true"
    finally:
        k.shutdown()


def test_exit_status_is_an_error(kernel: GoKernelDriver) -> None:
    ex = kernel.execute("os.Exit(3)")
    assert ex.status == "error" and ex.reply["content"]["evalue"] == "exit status 3"


def test_output_streams_while_running(kernel: GoKernelDriver) -> None:
    code = (
        'for i := 0; i < 5; i++ {\n\tfmt.Println("tick", i)\n\tfmt.Fprintln(os.Stderr, "err", i)\n'
        "\ttime.Sleep(200 * time.Millisecond)\n}"
    )
    ex = ok(kernel, code)
    out = [m for m in ex.of_type("stream") if m["content"]["name"] == "stdout"]
    assert "".join(m["content"]["text"] for m in out) == "".join(f"tick {i}\n" for i in range(5))
    assert ex.stream("stderr") == "".join(f"err {i}\n" for i in range(5))
    # The first line arrived long before the program ended (~1 s of sleeping).
    assert len(out) >= 3
    assert ex.finished - out[0]["_t"] > 0.6


def test_interrupt_stops_a_tight_loop_within_a_second(kernel: GoKernelDriver) -> None:
    started = threading.Event()

    def watch(msg: dict[str, object]) -> None:
        if msg["msg_type"] == "stream":
            started.set()

    result: dict[str, object] = {}

    def run() -> None:
        result["ex"] = kernel.execute('fmt.Println("spinning")\nn := 0\nfor {\n\tn++\n}', on_message=watch)

    t = threading.Thread(target=run)
    t.start()
    assert started.wait(60), "program never started"
    t0 = time.monotonic()
    kernel.km.interrupt_kernel()
    t.join(30)
    elapsed = time.monotonic() - t0
    ex = result["ex"]
    assert isinstance(ex, Execution)
    assert ex.status == "error" and ex.reply["content"]["ename"] == "Interrupted"
    assert ex.reply["content"]["evalue"].endswith("was stopped")  # says what was stopped
    assert "KeyboardInterrupt" not in str(ex.reply["content"])
    assert elapsed < 1.0, elapsed
    assert ok(kernel, '"alive"').result == '"alive"'


def test_interrupt_stops_a_compile_under_way(tmp_path: Path) -> None:
    # An empty build cache makes `go build` of a net/http program take several seconds.
    k = GoKernelDriver(env={"GOCACHE": str(tmp_path / "gocache")})
    try:
        result: dict[str, Execution] = {}
        t = threading.Thread(target=lambda: result.update(ex=k.execute('import "net/http"\nhttp.StatusText(418)')))
        t.start()
        time.sleep(2.0)
        assert t.is_alive(), "the build finished before it could be interrupted"
        t0 = time.monotonic()
        k.km.interrupt_kernel()
        t.join(30)
        elapsed = time.monotonic() - t0
        assert result["ex"].reply["content"]["ename"] == "Interrupted"
        assert elapsed < 1.5, elapsed
        assert ok(k, "%scratch").status == "ok"  # the kernel is still there
    finally:
        k.shutdown()


def test_killed_kernel_leaves_a_module_that_builds_and_no_orphan(tmp_path: Path) -> None:
    notebook = str(tmp_path / "crash.ipynb")
    marker = tmp_path / "alive"
    k = GoKernelDriver(env={"JPY_SESSION_NAME": notebook})
    try:
        ok(k, 'func keep() string { return "kept" }')
        scratch = Path(ok(k, "%scratch").stream().strip())
        # kill -9 the kernel while its program runs: the program must not outlive it.
        k.kc.execute(
            f'for i := 0; ; i++ {{\n\tos.WriteFile("{marker}", []byte(fmt.Sprint(i)), 0o644)\n'
            "\ttime.Sleep(20 * time.Millisecond)\n}"
        )
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the program never started"
        os.kill(k.km.provisioner.pid, signal.SIGKILL)  # type: ignore[union-attr]
        time.sleep(0.5)
        before = marker.read_text()
        time.sleep(0.5)
        assert marker.read_text() == before, "the cell's program kept running after the kernel died"
    finally:
        k.shutdown()
    assert [p.name for p in scratch.rglob("*.tmp")] == []
    again = GoKernelDriver(env={"JPY_SESSION_NAME": notebook})
    try:
        assert Path(ok(again, "%scratch").stream().strip()) == scratch  # the same module, still building
        assert ok(again, '"fresh start"').result == '"fresh start"'
    finally:
        again.shutdown()


def test_stdin_round_trip_and_eof_without_stdin(kernel: GoKernelDriver) -> None:
    code = 'var name string\nfmt.Print("name? ")\nfmt.Scanln(&name)\nfmt.Println("hello", name)'
    ex = ok(kernel, code, allow_stdin=True, stdin_reply="gopher")
    assert "hello gopher" in ex.stream()
    t0 = time.monotonic()
    ex = ok(kernel, code, allow_stdin=False)
    assert "hello \n" in ex.stream()
    assert time.monotonic() - t0 < 20


def test_goroutines_left_running_get_a_warning(kernel: GoKernelDriver) -> None:
    ex = ok(kernel, 'go func() { select {} }()\ngo func() { select {} }()\nfmt.Println("done")')
    assert "2 goroutine(s) were still running" in ex.stream("stderr")


def test_generics_goroutines_channels_defer_recover(kernel: GoKernelDriver) -> None:
    ok(
        kernel,
        "func Map[T, U any](xs []T, f func(T) U) []U {\n\tout := make([]U, 0, len(xs))\n"
        "\tfor _, x := range xs {\n\t\tout = append(out, f(x))\n\t}\n\treturn out\n}\n"
        "func safeDiv(a, b int) (q int, err error) {\n\tdefer func() {\n\t\tif r := recover(); r != nil {\n"
        '\t\t\terr = fmt.Errorf("recovered: %v", r)\n\t\t}\n\t}()\n\treturn a / b, nil\n}',
    )
    ex = ok(
        kernel,
        "ch := make(chan int)\ngo func() { for i := 1; i <= 3; i++ { ch <- i }; close(ch) }()\nsum := 0\n"
        "for v := range ch { sum += v }\n_, err := safeDiv(1, 0)\n"
        "fmt.Println(sum, Map([]int{1, 2}, func(i int) string { return strconv.Itoa(i * 10) }), err)",
    )
    assert ex.stream() == "6 [10 20] recovered: runtime error: integer divide by zero\n"


def test_is_complete_and_complete(kernel: GoKernelDriver) -> None:
    kc = kernel.kc

    def status(code: str) -> str:
        # BlockingKernelClient.is_complete has no reply= shortcut: fetch the reply ourselves.
        msg_id = kc.is_complete(code)
        reply = kc.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == msg_id
        return str(reply["content"]["status"])

    assert status("func f() {") == "incomplete"
    assert status("x := `raw") == "incomplete"
    assert status('fmt.Println("hi")') == "complete"
    assert status("}") == "invalid"
    reply = kc.complete("fmt.Prin", 8, reply=True)["content"]
    assert reply["status"] == "ok" and "Println" in reply["matches"]
    # Names the notebook declared and the kernel's display package complete too.
    ok(kernel, "func completeMeLater() int { return 1 }")
    reply = kc.complete("x := completeMe", 15, reply=True)["content"]
    assert reply["matches"] == ["completeMeLater"] and reply["cursor_start"] == 5
    ok(kernel, 'display.Markdown("warm")')
    reply = kc.complete("display.HT", 10, reply=True)["content"]
    assert reply["matches"] == ["HTML"], reply


def test_kernel_info_language_info(kernel: GoKernelDriver) -> None:
    info = kernel.kc.kernel_info(reply=True)["content"]
    li = info["language_info"]
    assert li["name"] == "go" and li["mimetype"] == "text/x-go" and li["file_extension"] == ".go"
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", li["version"]), li
    assert "debugger" not in info.get("supported_features", [])


def test_restart_resets_decls_but_keeps_module_requirements() -> None:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": "/notebooks/uuid-demo.ipynb"})
    try:
        ex = ok(
            k,
            'import "github.com/google/uuid"\nfunc newID() string { return uuid.NewString() }\nlen(newID())',
            timeout=300,
        )
        assert ex.result == "36"
        scratch = Path(ok(k, "%scratch").stream().strip())
        assert "github.com/google/uuid" in (scratch / "go.mod").read_text()
        k.restart()
        ex = k.execute("newID()")
        assert ex.status == "error" and "undefined: newID" in ex.reply["content"]["evalue"]
        assert "github.com/google/uuid" in (scratch / "go.mod").read_text()
        ex = ok(k, 'import "github.com/google/uuid"\nuuid.Nil.String()', timeout=60)
        assert ex.result == '"00000000-0000-0000-0000-000000000000"'
        assert "downloading" not in ex.stream("stderr")
    finally:
        k.shutdown()


def test_runtime_positions_are_cell_positions(kernel: GoKernelDriver) -> None:
    """The compiler and runtime report cell files and lines themselves (`//line` directives), not main.go."""
    ex = ok(
        kernel,
        '_, file, line, _ := runtime.Caller(0)\nfmt.Println(file, line)\nlog.SetFlags(log.Lshortfile)\nlog.Print("x")',
    )
    n = ex.reply["content"]["execution_count"]
    assert ex.stream() == f"cell{n}.go 1\n"
    assert ex.stream("stderr") == f"cell[{n}] line 4: x\n"  # what Go printed (cellN.go:4), as shown


def test_init_funcs_of_earlier_cells_run_in_every_program(kernel: GoKernelDriver) -> None:
    ok(kernel, 'var initTable map[string]int\nfunc init() { initTable = map[string]int{"a": 1} }')
    ok(kernel, 'func init() { initTable["b"] = 2 }')
    assert ok(kernel, 'initTable["a"] + initTable["b"]').result == "3"


def test_explicitly_instantiated_generic_call_as_last_line(kernel: GoKernelDriver) -> None:
    ok(kernel, 'func show[T any](x T) { fmt.Println("show", x) }\nfunc twice[T int | float64](x T) T { return 2 * x }')
    ex = ok(kernel, "show[int](1)")
    assert ex.stream() == "show 1\n" and ex.result is None
    assert ok(kernel, "twice[float64](1.5)").result == "3"


def test_the_kernels_helpers_add_no_init_work() -> None:
    """GODEBUG=inittrace=1 lists every package with initialisation work: main must not be one of them."""
    k = GoKernelDriver(env={"GOKERNEL_MODE": "fresh", "GODEBUG": "inittrace=1"})
    try:
        ex = ok(k, 'fmt.Println("quiet")\n"result"')
        assert ex.stream() == "quiet\n" and ex.result == '"result"'
        assert "init unicode @" in ex.stream("stderr")  # the trace is on
        assert "init main @" not in ex.stream("stderr"), ex.stream("stderr")
    finally:
        k.shutdown()


def test_var_statements_run_in_the_order_written(kernel: GoKernelDriver) -> None:
    ex = ok(kernel, 'os.Setenv("GK_ORDER", "1")\nvar foo = os.Getenv("GK_ORDER")\nfmt.Println("foo =", foo)')
    assert ex.stream() == "foo = 1\n"
    assert ok(kernel, "x := 1\nvar y = x + 1\ny").result == "2"
    # A var before any statement stays a declaration of the notebook, which funcs of the cell can use.
    assert ok(kernel, "var hits = 0\nfunc hit() int { hits++; return hits }\nhit()").result == "1"


def test_trailing_call_results_are_judged_by_type(kernel: GoKernelDriver) -> None:
    """A writer's (n int, err error) is not a result worth showing, whatever the callee is called."""
    ex = ok(kernel, 'pr := fmt.Println\npr("a")')
    assert ex.stream() == "a\n" and ex.result is None
    assert ok(kernel, 'strconv.Atoi("12")').result == "12 <nil>"
    assert ok(kernel, 'w := os.Stdout\nw.WriteString("b\\n")').result is None
