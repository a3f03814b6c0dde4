"""Coalescer, OutputBudget and size parsing: the pieces that keep a cell's output few and bounded."""

from __future__ import annotations

import time

from gokernel.linemap import LineMap
from gokernel.streams import Coalescer, OutputBudget, StderrFilter, output_limit, parse_size


def test_coalescer_sends_at_once_after_quiet_and_batches_a_flood() -> None:
    now = [100.0]
    sent: list[str] = []
    c = Coalescer(sent.append, interval=0.05, max_chars=10, clock=lambda: now[0])
    c.feed("prompt> ")
    assert sent == ["prompt> "]  # after a quiet spell: no delay
    c.feed("a\n")
    c.feed("b\n")
    assert sent == ["prompt> "] and c.due() == 100.05
    now[0] = 100.06
    c.tick()
    assert sent == ["prompt> ", "a\nb\n"]
    c.feed("0123456789")  # max_chars reached: out without waiting
    assert sent[-1] == "0123456789"


def test_budget_cuts_once_and_drops_the_rest() -> None:
    shown: list[str] = []
    budget = OutputBudget(10, shown.append)
    out, err = budget.wrap(shown.append), budget.wrap(shown.append)
    out("12345")
    err("6789AB")
    out("more")
    assert shown[:2] == ["12345", "6789A"] and len(shown) == 3 and "truncated after 10 bytes" in shown[2]


def test_sizes() -> None:
    assert parse_size("10MB") == 10 << 20 and parse_size("512k") == 512 << 10 and parse_size("1.5GiB") == 3 << 29
    assert parse_size("2048") == 2048 and parse_size("lots") is None
    assert output_limit({"GOKERNEL_OUTPUT_LIMIT": "2M"}, 5) == 2 << 20
    assert output_limit({"GOKERNEL_OUTPUT_LIMIT": "0"}, 5) == 5 and output_limit({}, 5) == 5


def test_a_crash_report_of_millions_of_lines_is_captured_fast_and_bounded() -> None:
    shown: list[str] = []
    f = StderrFilter(LineMap(), shown.append)
    report = (
        "before\nfatal error: all goroutines are asleep - deadlock!\n" + "goroutine 7 [chan receive]:\n" * 2_000_000
    )
    t0 = time.monotonic()
    for i in range(0, len(report), 1 << 16):
        f.feed(report[i : i + (1 << 16)])
    f.feed("the last line")
    f.close()
    captured = f.captured
    assert time.monotonic() - t0 < 3
    assert shown == ["before\n"] and captured is not None
    assert captured[0].startswith("fatal error: all goroutines") and captured[-1] == "the last line"
    assert sum(map(len, captured)) < 1 << 20
    assert any("lines (" in line and "of this report cut" in line for line in captured)
