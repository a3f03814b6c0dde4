"""StderrFilter: a panic header split across reads is captured, ordinary prompts show at once."""

from __future__ import annotations

import pytest

from gokernel.linemap import CellLoc, LineMap
from gokernel.streams import StderrFilter


def _filter() -> tuple[StderrFilter, list[str]]:
    lm = LineMap()
    lm.add("main.go", 7, CellLoc(3, 2))
    shown: list[str] = []
    return StderrFilter(lm, shown.append), shown


@pytest.mark.parametrize(
    "chunks",
    [
        ["panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/x/main.go:7 +0x1d\n"],
        ["pan", "ic: bo", "om", "\n\ngoroutine 1 [running]:\nmain.main()\n\t/x/main.go:7 +0x1d\n"],
        ["panic: boom", "\n\ngoroutine 1 [running]:\nmain.main()\n\t/x/main.go:7 +0x1d\n"],
    ],
)
def test_panic_is_captured_however_it_is_split(chunks: list[str]) -> None:
    f, shown = _filter()
    for c in chunks:
        f.feed(c)
    f.close()
    assert shown == []
    assert f.captured is not None and f.captured[0] == "panic: boom"
    assert "\tcell[3] line 2 +0x1d" in f.captured


def test_prompts_and_lines_before_a_panic_are_streamed() -> None:
    f, shown = _filter()
    f.feed("name? ")
    assert shown == ["name? "]  # no newline, yet shown now
    f.feed("warning at /x/main.go:7\npanic: late\n")
    assert shown == ["name? ", "warning at cell[3] line 2\n"]
    assert f.captured == ["panic: late"]
