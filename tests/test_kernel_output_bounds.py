"""Output is never silently lost and always bounded (issue 11 items 7-9), through a real fresh-mode kernel.

The kernel starts with GOKERNEL_OUTPUT_LIMIT=1MB (the environment at kernel start sets the limit);
`%env GOKERNEL_OUTPUT_LIMIT=...` changes it from the next cell on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from .kernel_client import Execution, GoKernelDriver

LIMIT = 1 << 20


@pytest.fixture(scope="module")
def kernel() -> Iterator[GoKernelDriver]:
    k = GoKernelDriver(
        env={
            "JPY_SESSION_NAME": "/notebooks/test_kernel_output_bounds.ipynb",
            "GOKERNEL_MODE": "fresh",
            "GOKERNEL_OUTPUT_LIMIT": "1MB",
        }
    )
    yield k
    k.shutdown()


def _run(k: GoKernelDriver, code: str, **kw: Any) -> Execution:
    return k.execute(code, timeout=180, **kw)


def _kernel_peak_rss(k: GoKernelDriver) -> int:
    pid = k.km.provisioner.pid  # type: ignore[union-attr]
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def _numbered_prefix(text: str, prefix: str) -> int:
    """How many lines `<prefix><i>` for i = 0, 1, 2, ... `text` starts with, checking none is missing."""
    lines = text.split("\n")
    n = 0
    while n < len(lines) and lines[n] == f"{prefix}{n}":
        n += 1
    return n


def test_a_stderr_flood_arrives_complete_in_few_messages(kernel: GoKernelDriver) -> None:
    _run(kernel, "%env GOKERNEL_OUTPUT_LIMIT=10MB")
    try:
        ex = _run(kernel, 'import "log"\nlog.SetFlags(0)\nfor i := 0; i < 200000; i++ {\n\tlog.Println("e", i)\n}')
    finally:
        _run(kernel, f"%env GOKERNEL_OUTPUT_LIMIT={LIMIT}")
    assert ex.status == "ok", ex.error
    err = ex.stream("stderr")
    assert err == "".join(f"e {i}\n" for i in range(200000))
    messages = [m for m in ex.of_type("stream") if m["content"]["name"] == "stderr"]
    assert len(messages) < 2000, len(messages)


@pytest.mark.parametrize("stream", ["Stdout", "Stderr"])
def test_output_over_the_limit_is_complete_up_to_one_notice(kernel: GoKernelDriver, stream: str) -> None:
    before = _kernel_peak_rss(kernel)
    ex = _run(
        kernel,
        f"w := bufio.NewWriter(os.{stream})\nfor i := 0; i < 3000000; i++ {{\n"
        '\tfmt.Fprintf(w, "l%d\\n", i)\n}\nw.Flush()',
    )
    assert ex.status == "ok", ex.error
    shown = ex.stream(stream.lower())
    notices = [m for m in ex.of_type("stream") if "output truncated after 1 MB" in m["content"]["text"]]
    assert len(notices) == 1
    body = shown if stream == "Stdout" else shown.split("\n[gokernel] output truncated")[0]
    n = _numbered_prefix(body, "l")
    assert n > 100000 and len(body) <= LIMIT
    assert body.startswith("".join(f"l{i}\n" for i in range(n)))
    assert _kernel_peak_rss(kernel) - before < 100 << 20


def test_a_huge_stderr_line_is_cut_at_the_limit(kernel: GoKernelDriver) -> None:
    ex = _run(kernel, 'fmt.Fprint(os.Stderr, strings.Repeat("y", 50<<20))')
    err = ex.stream("stderr")
    assert err.startswith("y" * 1000) and "output truncated after 1 MB" in err
    assert len(err) < LIMIT + 1000


def test_shell_command_output_is_bounded(kernel: GoKernelDriver) -> None:
    ex = _run(kernel, "!seq 0 3000000")
    shown = ex.stream()
    n = _numbered_prefix(shown, "")
    assert n > 100000 and len(shown) <= LIMIT
    assert "`seq` kept running" in ex.stream("stderr")


def test_a_huge_panic_keeps_head_and_tail_and_says_what_was_cut(kernel: GoKernelDriver) -> None:
    before = _kernel_peak_rss(kernel)
    ex = _run(kernel, 'panic("start\\n" + strings.Repeat("middle line\\n", 2000000) + "the end")')
    assert ex.status == "error"
    # The reply's traceback has the value's head and tail, and says what was cut.
    text = "\n".join(ex.reply["content"]["traceback"])
    assert text.startswith("panic: start\n") and "the end" in text
    assert re.search(r"\d+ lines \(\d+(\.\d)? MB\) of this report cut", text), text[:2000]
    assert len(text) < 1 << 20
    assert _kernel_peak_rss(kernel) - before < 100 << 20


def test_a_deadlock_of_many_goroutines_is_cut_in_the_middle(kernel: GoKernelDriver) -> None:
    ex = _run(
        kernel,
        "ch := make(chan int)\nfor i := 0; i < 20000; i++ {\n\tgo func() { <-ch }()\n}\n<-ch",
    )
    assert ex.status == "error"
    content = ex.reply["content"]
    assert content["ename"] == "fatal error" and "deadlock" in content["evalue"]
    text = "\n".join(content["traceback"])
    assert "of this report cut" in text and len(text) < 1 << 20


def test_a_display_over_the_limit_is_replaced_by_a_notice(kernel: GoKernelDriver) -> None:
    ex = _run(kernel, 'display.HTML(strings.Repeat("x", 3<<20))\ndisplay.HTML("<b>small</b>")')
    assert ex.status == "ok", ex.error
    shown = [m["content"]["data"]["text/html"] for m in ex.of_type("display_data")]
    assert shown == ["<b>small</b>"]
    assert "a display of 3 MB was not shown: over the output limit of 1 MB" in ex.stream("stderr")
