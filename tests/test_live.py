"""The live session through a real kernel: values, goroutines and servers outlive their cell."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .kernel_client import Execution, GoKernelDriver, kernel_fixture, ok

kernel = kernel_fixture({"JPY_SESSION_NAME": "/notebooks/test_live.ipynb"})


def err(k: GoKernelDriver, code: str) -> Execution:
    ex = k.execute(code)
    assert ex.status == "error", (ex.stream(), ex.result, code)
    return ex


def test_mode_is_live_by_default(kernel: GoKernelDriver) -> None:
    assert ok(kernel, "%mode").stream().startswith("live: ")


def test_values_persist_and_statements_run_once(kernel: GoKernelDriver) -> None:
    ok(kernel, "x := 5")
    assert ok(kernel, "x").result == "5"
    ok(kernel, "x++")
    assert ok(kernel, "x").result == "6"
    ok(kernel, "calls := 0\ndata := func() []int { calls++; return []int{1, 2, 3} }()")
    ok(kernel, "data = append(data, 4)")
    assert ok(kernel, "len(data), calls").result == "4 1"


def test_values_of_notebook_types_pointers_maps_closures(kernel: GoKernelDriver) -> None:
    ok(kernel, "type P struct{ X int }")
    ok(kernel, 'p := &P{1}\nm := map[string]*P{"a": p}\nnext := func() int { p.X++; return p.X }')
    ok(kernel, "p.X += 40")
    assert ok(kernel, "next()").result == "42"
    assert ok(kernel, 'm["a"].X').result == "42"


def test_unexported_fields_methods_and_type_names_across_cells(kernel: GoKernelDriver) -> None:
    ok(
        kernel,
        "type person struct {\n\tname string\n\tage  int\n}\n"
        'func (p *person) birthday() { p.age++ }\nfunc (p person) greet() string { return "hi " + p.name }',
    )
    ok(kernel, 's := person{name: "Sean", age: 50}\nsp := &s')
    ok(kernel, "sp.birthday()\ns.birthday()")
    ex = ok(
        kernel, 'fmt.Println(s.name, s.age, s.greet())\nfmt.Printf("%T %+v\\n", s, s)\npeople := []person{{"a", 1}}'
    )
    assert ex.stream() == "Sean 52 hi Sean\nmain.person {name:Sean age:52}\n"
    assert ok(kernel, "people[0].name").result == '"a"'


def test_method_added_in_a_later_cell(kernel: GoKernelDriver) -> None:
    ok(kernel, "type temp struct{ c float64 }")
    ex = ok(kernel, 'func (t temp) String() string { return fmt.Sprintf("%.1f°C", t.c) }\nfmt.Println(temp{21.5})')
    assert ex.stream() == "21.5°C\n"
    assert ex.stream("stderr") == ""  # no value was made with the old temp: nothing to say (test_live_types.py)


def test_redeclaration_with_a_new_type_and_redefined_func(kernel: GoKernelDriver) -> None:
    ok(kernel, "v := 1\nfunc f() int { return 1 }")
    ok(kernel, 'v := "s"\nfunc f() int { return 2 }')
    assert ok(kernel, 'v + "!", f()').result == '"s!" 2'


def test_top_level_var_statements_run_in_order(kernel: GoKernelDriver) -> None:
    ex = ok(kernel, 'os.Setenv("GK_FOO", "1")\nvar foo = os.Getenv("GK_FOO")\nfmt.Println("foo =", foo)')
    assert ex.stream() == "foo = 1\n"
    assert ok(kernel, "a := 1\nvar b = a + 1\nb").result == "2"


def test_goroutine_keeps_counting_after_its_cell(kernel: GoKernelDriver) -> None:
    ok(
        kernel,
        "var ticks atomic.Int64\n"
        "go func() {\n\tfor {\n\t\tticks.Add(1)\n\t\ttime.Sleep(10 * time.Millisecond)\n\t}\n}()",
    )
    first = int(ok(kernel, "ticks.Load()").result or "0")
    time.sleep(1.0)
    later = int(ok(kernel, "ticks.Load()").result or "0")
    assert later - first >= 30, (first, later)


def test_http_server_started_in_one_cell_serves_the_next(kernel: GoKernelDriver) -> None:
    ok(
        kernel,
        'ln, _ := net.Listen("tcp", "127.0.0.1:0")\nhits := 0\n'
        "go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n"
        '\thits++\n\tfmt.Fprintf(w, "hello %d", hits)\n}))',
        timeout=300,
    )
    ex = ok(
        kernel, 'resp, _ := http.Get("http://" + ln.Addr().String())\nbody, _ := io.ReadAll(resp.Body)\nstring(body)'
    )
    assert ex.result == '"hello 1"'
    assert ok(kernel, "hits").result == "1"


def test_channel_filled_in_one_cell_is_read_later(kernel: GoKernelDriver) -> None:
    ok(kernel, "ch := make(chan int, 10)\ngo func() {\n\tfor i := 1; i <= 3; i++ {\n\t\tch <- i * 10\n\t}\n}()")
    ok(kernel, "time.Sleep(50 * time.Millisecond)")
    assert ok(kernel, "<-ch + <-ch + <-ch").result == "60"


def test_panic_is_mapped_and_keeps_the_state(kernel: GoKernelDriver) -> None:
    ok(kernel, "kept := 7")
    ex = err(kernel, 'func boom() { panic("kaboom") }\n\nboom()')
    assert ex.reply["content"]["ename"] == "panic"
    assert ex.reply["content"]["evalue"] == "kaboom"
    tb = "\n".join(ex.reply["content"]["traceback"])
    assert "cell[" in tb and "line 1" in tb and "line 3" in tb, tb
    assert ok(kernel, "kept").result == "7"
    ok(
        kernel,
        'func safe() (err error) {\n\tdefer func() { err = fmt.Errorf("%v", recover()) }()\n'
        '\tvar m map[string]int\n\tm["a"] = 1\n\treturn nil\n}',
    )
    assert "assignment to entry in nil map" in (ok(kernel, "safe()").result or "")


def _interrupt_after_start(kernel: GoKernelDriver, code: str) -> tuple[Execution, float]:
    started = threading.Event()
    result: dict[str, Execution] = {}

    def watch(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream" and "started" in msg["content"]["text"]:
            started.set()

    t = threading.Thread(target=lambda: result.update(ex=kernel.execute(code, on_message=watch)))
    t.start()
    assert started.wait(120), "the cell never started"
    time.sleep(0.2)
    t0 = time.monotonic()
    kernel.km.interrupt_kernel()
    t.join(30)
    return result["ex"], time.monotonic() - t0


@pytest.mark.parametrize(
    "body",
    [
        "for {\n\tspins++\n}",
        "<-make(chan int)",
        "time.Sleep(time.Hour)",
        "var wg sync.WaitGroup\nwg.Add(1)\nwg.Wait()",
        "fib := func(n int) int { return n }\nfor i := 0; i < 1<<62; i++ {\n\tspins += fib(i) & 1\n}",
    ],
)
def test_interrupt_stops_the_cell_within_a_second_and_keeps_the_state(kernel: GoKernelDriver, body: str) -> None:
    ok(kernel, 'spins := 0\nsurvivor := []string{"still here"}')
    ex, elapsed = _interrupt_after_start(kernel, f'fmt.Println("started")\n{body}')
    assert ex.reply["content"]["ename"] == "Interrupted", ex.reply["content"]
    assert elapsed < 1.0, elapsed
    assert ok(kernel, "survivor[0]").result == '"still here"'


def test_os_exit_ends_the_session_and_the_next_cell_works(kernel: GoKernelDriver) -> None:
    ok(kernel, 'func keepMe() string { return "declarations survive" }\nlost := 1')
    ex = err(kernel, "os.Exit(3)")
    assert ex.reply["content"]["ename"] == "SessionEnded"
    assert "exited with status 3" in ex.reply["content"]["evalue"]
    assert ok(kernel, "keepMe()").result == '"declarations survive"'
    assert "undefined: lost" in err(kernel, "lost").reply["content"]["evalue"]


def test_panic_in_a_background_goroutine_is_reported_and_the_next_cell_works(kernel: GoKernelDriver) -> None:
    ok(kernel, 'go func() {\n\ttime.Sleep(100 * time.Millisecond)\n\tpanic("background boom")\n}()')
    time.sleep(1.0)
    ex = ok(kernel, '"next"')
    assert ex.result == '"next"'
    assert "the live session had ended" in ex.stream("stderr")
    assert "panic in a goroutine: background boom" in ex.stream("stderr")


def test_output_after_the_cell_ended_reaches_the_last_cell(kernel: GoKernelDriver) -> None:
    msg_id = kernel.kc.execute('go func() {\n\ttime.Sleep(300 * time.Millisecond)\n\tfmt.Println("late line")\n}()')
    deadline = time.monotonic() + 60
    seen = ""
    while time.monotonic() < deadline and "late line" not in seen:
        try:
            msg = kernel.kc.get_iopub_msg(timeout=0.2)
        except Exception:  # noqa: BLE001 - queue.Empty
            continue
        if msg["msg_type"] == "stream" and msg["parent_header"].get("msg_id") == msg_id:
            seen += msg["content"]["text"]
    assert "late line" in seen


def test_reset_clears_values_and_stops_goroutines(kernel: GoKernelDriver, tmp_path: Path) -> None:
    marker = tmp_path / "beat"
    ok(
        kernel,
        f'go func() {{\n\tfor i := 0; ; i++ {{\n\t\tos.WriteFile("{marker}", []byte(fmt.Sprint(i)), 0o644)\n'
        "\t\ttime.Sleep(20 * time.Millisecond)\n\t}\n}()\nbefore := 1",
    )
    time.sleep(0.3)
    ok(kernel, "%reset")
    time.sleep(0.2)
    beat = marker.read_text()
    time.sleep(0.3)
    assert marker.read_text() == beat, "a goroutine kept running after %reset"
    assert "undefined: before" in err(kernel, "before").reply["content"]["evalue"]


def test_ls_lists_values_with_types_and_rm_drops_one(kernel: GoKernelDriver) -> None:
    ok(kernel, 'listed := map[string][]int{"a": {1}}\ntype box struct{ n int }\nb := box{1}')
    text = ok(kernel, "%ls").of_type("display_data")[0]["content"]["data"]["text/plain"]
    assert "listed" in text and "map[string][]int" in text and "box" in text
    ok(kernel, "%rm listed")
    assert "undefined: listed" in err(kernel, "listed").reply["content"]["evalue"]


def test_write_count_results_are_not_shown(kernel: GoKernelDriver) -> None:
    assert ok(kernel, 'fmt.Println("a")').result is None
    assert ok(kernel, 'pr := fmt.Println\npr("b")').result is None
    assert ok(kernel, 'strconv.Atoi("12")').result == "12 <nil>"


def test_display_and_test_cells_use_live_declarations(kernel: GoKernelDriver) -> None:
    ok(kernel, "func double(x int) int { return 2 * x }")
    ex = ok(kernel, 'display.Markdown("**bold**")')
    assert any("text/markdown" in m["content"]["data"] for m in ex.of_type("display_data"))
    ex = kernel.execute('%%test\nfunc TestDouble(t *testing.T) {\n\tif double(2) != 4 {\n\t\tt.Fatal("bad")\n\t}\n}')
    assert ex.status == "ok", ex.error


def test_mode_fresh_and_back(kernel: GoKernelDriver) -> None:
    ok(kernel, "%mode fresh")
    ok(kernel, "counter := 1")
    assert "undefined: counter" in err(kernel, "counter").reply["content"]["evalue"]
    assert ok(kernel, "%mode live").stream().startswith("live: ")
    ok(kernel, "counter := 1")
    assert ok(kernel, "counter").result == "1"


def test_restart_clears_values() -> None:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": "/notebooks/test_live_restart.ipynb"})
    try:
        ok(k, "gone := 1")
        k.restart()
        assert "undefined: gone" in err(k, "gone").reply["content"]["evalue"]
    finally:
        k.shutdown()


def test_env_reaches_the_running_session_and_is_all_or_nothing(kernel: GoKernelDriver) -> None:
    ok(kernel, "started := 1")  # the session is already running when %env comes
    ok(kernel, "%env GK_LIVE_GREETING=hi")
    assert ok(kernel, 'os.Getenv("GK_LIVE_GREETING")').result == '"hi"'
    bad = kernel.execute("%env GK_HALF=1 broken")
    assert bad.status == "error"
    assert ok(kernel, 'os.Getenv("GK_HALF")').result == '""'


def test_stdin_per_cell_eof_without_stdin_then_input_again(kernel: GoKernelDriver) -> None:
    code = 'var name string\nfmt.Print("name? ")\nfmt.Scanln(&name)\nfmt.Println("hello", name)'
    assert "hello gopher" in ok(kernel, code, allow_stdin=True, stdin_reply="gopher").stream()
    assert "hello \n" in ok(kernel, code, allow_stdin=False).stream()  # EOF, at once
    # The EOF was that cell's: the next cell gets input again.
    assert "hello again" in ok(kernel, code, allow_stdin=True, stdin_reply="again").stream()


def test_completion_offers_live_values(kernel: GoKernelDriver) -> None:
    ok(kernel, "calculatedTotal := 42")
    reply = kernel.kc.complete("fmt.Println(calcul", 18, reply=True, timeout=30)["content"]
    assert "calculatedTotal" in reply["matches"]


def test_background_output_after_the_cell_is_bounded(kernel: GoKernelDriver) -> None:
    msg_id = kernel.kc.execute(
        'go func() {\n\ttime.Sleep(300 * time.Millisecond)\n\tline := strings.Repeat("x", 1023) + "\\n"\n'
        "\tfor i := 0; i < 30*1024; i++ {\n"
        "\t\tfmt.Print(line)\n\t}\n}()"
    )
    received = 0
    notice = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not notice:
        try:
            msg = kernel.kc.get_iopub_msg(timeout=0.5)
        except Exception:  # noqa: BLE001 - queue.Empty
            continue
        if msg["msg_type"] == "stream" and msg["parent_header"].get("msg_id") == msg_id:
            if msg["content"]["name"] == "stdout":
                received += len(msg["content"]["text"])
            elif "output truncated" in msg["content"]["text"]:
                notice = "goroutines still running after the cell" in msg["content"]["text"]
    assert notice
    assert received <= 10 * 1024 * 1024


def test_os_exit_zero_is_not_an_error(kernel: GoKernelDriver) -> None:
    ex = ok(kernel, 'fmt.Println("bye")\nos.Exit(0)')
    assert ex.stream() == "bye\n" and "os.Exit(0)" in ex.stream("stderr")
    assert ok(kernel, '"after"').result == '"after"'


def test_closing_the_kernels_channel_ends_the_session_instead_of_hanging(kernel: GoKernelDriver) -> None:
    ex = kernel.execute('os.NewFile(3, "side").Close()\ntime.Sleep(time.Second)', timeout=60)
    assert ex.status == "error" and ex.reply["content"]["ename"] == "SessionEnded"
    assert "closed the kernel's channel" in ex.reply["content"]["evalue"]
    assert ok(kernel, "1 + 1").result == "2"


def test_embed_cell_runs_as_its_own_program(kernel: GoKernelDriver, tmp_path: Path) -> None:
    scratch = Path(ok(kernel, "%scratch").stream().strip())
    (scratch / "hello.txt").write_text("embedded text")
    ex = ok(kernel, 'import _ "embed"\n\n//go:embed hello.txt\nvar hello string\n\nfmt.Println(hello)')
    assert ex.stream() == "embedded text\n" and "//go:embed" in ex.stream("stderr")


def test_without_cgo_the_kernel_runs_fresh_and_says_why_once(tmp_path: Path) -> None:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": str(tmp_path / "nocgo.ipynb"), "CGO_ENABLED": "0"})
    try:
        first = ok(k, "n := 1\nn")
        assert first.result == "1"
        assert "fresh mode" in first.stream("stderr") and "cgo" in first.stream("stderr")
        second = k.execute("n")
        assert second.status == "error" and "undefined: n" in second.reply["content"]["evalue"]
        assert "fresh mode" not in second.stream("stderr")  # said once
        why = ok(k, "%mode").stream()
        assert why.startswith("fresh: the live session is unavailable") and "CGO_ENABLED=0" in why
    finally:
        k.shutdown()


def test_runtime_positions_are_cell_positions(kernel: GoKernelDriver) -> None:
    ex = ok(
        kernel,
        '_, file, line, _ := runtime.Caller(0)\nfmt.Println(file, line)\nlog.SetFlags(log.Lshortfile)\nlog.Print("x")',
    )
    n = ex.reply["content"]["execution_count"]
    assert ex.stream() == f"cell{n}.go 1\n"
    assert ex.stream("stderr") == f"cell[{n}] line 4: x\n"  # what Go printed (cellN.go:4), as shown


def test_explicitly_instantiated_generic_call_as_last_line(kernel: GoKernelDriver) -> None:
    ok(kernel, 'func show[T any](x T) { fmt.Println("show", x) }\nfunc twice[T int | float64](x T) T { return 2 * x }')
    ex = ok(kernel, "show[int](1)")
    assert ex.stream() == "show 1\n" and ex.result is None
    assert ok(kernel, "twice[float64](1.5)").result == "3"


def test_stderr_flood_arrives_complete_in_few_messages(kernel: GoKernelDriver) -> None:
    ex = ok(
        kernel,
        'w := bufio.NewWriter(os.Stderr)\nfor i := 0; i < 200000; i++ {\n\tfmt.Fprintln(w, "e", i)\n}\nw.Flush()',
    )
    lines = ex.stream("stderr").splitlines()
    assert len(lines) == 200000 and lines[-1] == "e 199999"
    assert len(ex.of_type("stream")) < 2000


def test_a_setsid_child_of_a_cell_dies_with_the_session(kernel: GoKernelDriver, tmp_path: Path) -> None:
    marker = tmp_path / "child-alive"
    ok(
        kernel,
        f'cmd := exec.Command("sh", "-c", "while true; do date +%s%N > {marker}; sleep 0.05; done")\n'
        "cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}\n_ = cmd.Start()",
    )
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()
    ok(kernel, "%reset")
    time.sleep(0.3)
    stamp = marker.read_text()
    time.sleep(0.4)
    assert marker.read_text() == stamp, "a child the cell started in its own session outlived %reset"
