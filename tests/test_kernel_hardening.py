"""Kernel tests for issue 11's defects: Go text taken for magics, cgo preambles, shadowed builtins."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from .kernel_client import GoKernelDriver, kernel_fixture, ok

kernel = kernel_fixture({"JPY_SESSION_NAME": "/notebooks/test_kernel_hardening.ipynb"})


def test_shell_line_inside_a_raw_string_is_text_not_a_command(kernel: GoKernelDriver, tmp_path: Path) -> None:
    victim = tmp_path / "FILE"
    victim.write_text("keep me")
    ex = ok(kernel, f"s := `a\n!rm {victim}\nb`\ns")
    assert victim.exists()
    assert ex.result == json.dumps(f"a\n!rm {victim}\nb")  # Go %q of the intact string


def test_reset_inside_a_block_comment_keeps_declarations(kernel: GoKernelDriver) -> None:
    ok(kernel, "func kept() int { return 3 }")
    ok(kernel, "/*\n%reset\n*/\nx := 1\n_ = x")
    assert ok(kernel, "kept()").result == "3"


@pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="cgo needs a C compiler")
@pytest.mark.parametrize(
    "cell",
    [
        '// int twice(int x) { return 2*x; }\nimport "C"\nfmt.Println(C.twice(21))',
        'package main\n\n/*\nint twice(int x) { return 2*x; }\n*/\nimport "C"\nimport "fmt"\n\n'
        "func main() {\n\tfmt.Println(C.twice(21))\n}\n",
    ],
)
def test_cgo_preamble_is_compiled(kernel: GoKernelDriver, cell: str) -> None:
    ex = ok(kernel, cell)
    assert ex.stream() == "42\n"
    # Plugins are built without the go command's cgo step: in the live session such a cell runs on its own.
    assert "cgo" in ex.stream("stderr")


@pytest.mark.parametrize(
    "shadow, name",
    [("func len(s string) int { return 7 }", "len"), ("type any = int", "any")],
)
def test_builtins_redeclared_by_the_notebook_leave_results_intact(
    kernel: GoKernelDriver, shadow: str, name: str
) -> None:
    ok(kernel, shadow)
    try:
        assert ok(kernel, '"a long string value"').result == '"a long string value"'
    finally:
        ok(kernel, f"%rm {name}")


def test_kernel_starts_for_a_notebook_path_that_is_not_utf8() -> None:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": os.fsdecode(b"/notebooks/bad-\xff.ipynb")})
    try:
        assert ok(k, "1 + 1").result == "2"
        assert ok(k, "%scratch").stream().strip().startswith(os.environ["GOKERNEL_SCRATCH_DIR"])
    finally:
        k.shutdown()


def test_rm_underscore_removes_blank_declarations(kernel: GoKernelDriver) -> None:
    # Fresh mode keeps `var _ = ...` as a declaration of every program (in the live session it is a statement).
    ok(kernel, "%mode fresh")
    try:
        ok(kernel, 'var _ = fmt.Sprint("blank")')
        assert "_" in ok(kernel, "%ls").of_type("display_data")[0]["content"]["data"]["text/plain"].split()
        ok(kernel, "%rm _")
        assert "_" not in ok(kernel, "%ls").of_type("display_data")[0]["content"]["data"]["text/plain"].split()
    finally:
        ok(kernel, "%mode live")


@pytest.mark.parametrize("mode", ["live", "fresh"])
def test_an_import_that_cannot_be_found_fails_on_its_own_line(mode: str) -> None:
    """Not later, in whichever cell first uses the package, with words about a generated file."""
    k = GoKernelDriver(
        env={"GOKERNEL_MODE": mode, "GOPROXY": "off", "JPY_SESSION_NAME": f"/notebooks/imports-{mode}.ipynb"}
    )
    try:
        ex = k.execute('import (\n\t"strings"\n\t"example.com/not/there"\n)\n\nfunc f() int { return 1 }')
        assert ex.status == "error" and ex.error is not None
        assert ex.error["evalue"].startswith("cell[1] line 3: cannot import example.com/not/there: ")
        assert "GOPROXY=off" in ex.error["evalue"]
        [card] = ex.of_type("display_data")
        assert "example.com/not/there" in card["content"]["data"]["text/plain"]
        # Nothing of the failed cell was kept, and later cells run.
        gone = k.execute("f()")
        assert gone.status == "error" and "undefined: f" in gone.error["evalue"]  # type: ignore[index]
        assert ok(k, 'import "strings"\n\nstrings.ToUpper("ok")').result == '"OK"'
    finally:
        k.shutdown()


def test_a_live_cell_closing_stdout_or_stderr_does_not_silence_later_cells() -> None:
    k = GoKernelDriver(env={"GOKERNEL_MODE": "live", "JPY_SESSION_NAME": "/notebooks/stdio-closed.ipynb"})
    try:
        ok(k, "x := 1")
        ok(k, 'os.Stdout.Close()\nos.Stderr.Close()\nfmt.Println("lost: stdout is closed")')
        ex = ok(k, 'fmt.Println("out", x)\nfmt.Fprintln(os.Stderr, "err", x)')
        assert (ex.stream("stdout"), ex.stream("stderr")) == ("out 1\n", "err 1\n")
        ok(k, "syscall.Close(1)")  # the descriptor itself, under os.Stdout
        assert ok(k, 'fmt.Println("back", x)').stream() == "back 1\n"
    finally:
        k.shutdown()


def test_env_magic_lists_shows_one_and_sets(tmp_path: Path) -> None:
    k = GoKernelDriver(env={"GK_FROM_KERNEL_ENV": "outer", "JPY_SESSION_NAME": str(tmp_path / "env.ipynb")})
    try:
        assert ok(k, "%env").stream() == "no variables set with %env in this notebook (%env NAME=VALUE sets one)\n"
        assert ok(k, "%env GK_FROM_KERNEL_ENV").stream() == "outer\n"
        assert ok(k, "%env GK_FROM_KERNEL_ENV=inner GK_B=2").stream() == "GK_B=2\nGK_FROM_KERNEL_ENV=inner\n"
        assert ok(k, "%env GK_FROM_KERNEL_ENV").stream() == "inner\n"
        missing = k.execute("%env GK_NOT_SET_ANYWHERE")
        assert missing.status == "error" and missing.error is not None
        assert missing.error["evalue"] == "%env: GK_NOT_SET_ANYWHERE is not set"
    finally:
        k.shutdown()


def test_a_live_cell_defining_flags_can_run_again() -> None:
    k = GoKernelDriver(env={"GOKERNEL_MODE": "live", "JPY_SESSION_NAME": "/notebooks/flags-again.ipynb"})
    try:
        cell = 'word := flag.String("word", "{}", "a string")\nflag.Parse()\n*word, flag.NArg()'
        assert ok(k, cell.replace("{}", "foo")).result == '"foo" 0'
        assert ok(k, cell.replace("{}", "bar")).result == '"bar" 0'  # not "flag redefined: word"
    finally:
        k.shutdown()


@pytest.mark.parametrize("mode", ["live", "fresh"])
def test_a_trailing_call_returning_a_nil_error_shows_nothing(mode: str, tmp_path: Path) -> None:
    """f.Close(), json.Unmarshal(...), t.Execute(...) as a cell's last line: <nil> after each is noise."""
    k = GoKernelDriver(env={"GOKERNEL_MODE": mode, "JPY_SESSION_NAME": str(tmp_path / f"nil-error-{mode}.ipynb")})
    try:
        assert ok(k, 'os.Chdir(".")').result is None
        assert ok(k, 'os.Chdir("/not/a/dir")').result == "chdir /not/a/dir: no such file or directory"
        assert ok(k, 'strconv.Atoi("12")').result == "12 <nil>"  # not a lone error: shown as it is
        assert ok(k, "var e error\ne").result == "<nil>"  # asked for by name
    finally:
        k.shutdown()


def test_a_live_cell_abandoned_while_blocked_does_not_run_on_when_unblocked() -> None:
    """Interrupted at a receive, the cell is left blocked; a later send must not run its remaining statements
    (they would change the session's values in the middle of another cell): nothing runs by accident."""
    k = GoKernelDriver(env={"GOKERNEL_MODE": "live", "JPY_SESSION_NAME": "/notebooks/abandoned.ipynb"})
    try:
        ok(k, "ch := make(chan int)\nresumed := false")
        timer = threading.Timer(1.0, k.km.interrupt_kernel)
        timer.start()
        ex = k.execute('v := <-ch\nresumed = true\nfmt.Println("resumed with", v)')
        timer.join()
        assert ex.status == "error" and ex.error is not None and ex.error["ename"] == "Interrupted"
        assert "do not run" in ex.stream("stderr")
        # Unblock it: the value is received, and then the cell stops.
        ex = ok(k, "go func() { ch <- 7 }()\ntime.Sleep(300 * time.Millisecond)\nresumed")
        assert ex.result == "false" and "resumed with" not in ex.stream()
        # A loop of an abandoned cell stops at its next iteration as well.
        timer = threading.Timer(1.0, k.km.interrupt_kernel)
        timer.start()
        assert k.execute('for x := range ch {\n\tfmt.Println("loop got", x)\n}').status == "error"
        timer.join()
        ex = ok(k, 'go func() { ch <- 1 }()\ntime.Sleep(300 * time.Millisecond)\n"after"')
        assert ex.result == '"after"' and "loop got" not in ex.stream()
        assert ok(k, "total := 0\nfor i := 0; i < 3; i++ { total += i }\ntotal").result == "3"
    finally:
        k.shutdown()
